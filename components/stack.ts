import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Api } from "./api";
import type { StackSettings } from "./config";
import { API_SERVICE_HOST, DB_HOST, DB_PORT, apiCertificateNames } from "./names";
import { Networks } from "./networks";
import { LeafSpec, PrivateCa } from "./pki";
import { Postgres } from "./postgres";
import { Proxy } from "./proxy";

export interface NestFluxStackArgs {
    /** Validated settings (see parseSettings); they decide how many resources exist. */
    settings: StackSettings;
    /** Re-issues every generated leaf certificate when it changes (see rotationWindow). */
    rotationKey: pulumi.Input<string>;
    /** Build context of the API image, used when settings.api.image is empty. */
    apiBuildContext?: string;
    /** Changes rebuild the API image (e.g. a hash of apiBuildContext). */
    apiBuildTrigger?: pulumi.Input<string>;
}

/** The whole layout: PKI, networks, PostgreSQL, API replicas and the nginx proxy. */
export class NestFluxStack extends pulumi.ComponentResource {
    public readonly url: pulumi.Output<string>;
    /** Public: clients of a dev stack trust this CA. */
    public readonly caCertificatePem: pulumi.Output<string>;
    /** notAfter of each certificate, RFC 3339. */
    public readonly certificateExpiry: pulumi.Output<Record<string, string>>;
    public readonly networkNames: pulumi.Output<{ edge: string; app: string; data: string }>;
    public readonly containerNames: pulumi.Output<{ db: string; api: string[]; proxy: string }>;
    /** Secret: the application role's password. */
    public readonly dbPassword: pulumi.Output<string>;
    /** Secret: what the API connects with. */
    public readonly databaseUrl: pulumi.Output<string>;
    /** Secret: the initial admin's password, when settings.api.adminEmail is set. */
    public readonly adminPassword?: pulumi.Output<string>;

    constructor(name: string, args: NestFluxStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nestflux:stack:NestFluxStack", name, {}, opts);
        const s = args.settings;
        const prefix = `${name}-${s.stack}`;
        const labels = { "nestflux.stack": s.stack };

        const ownerRole = dbOwnerRole(s.db.user);
        const leaves: LeafSpec[] = [{ name: "db", commonName: DB_HOST, dnsNames: [DB_HOST], usage: "server" }];
        if (s.db.clientCertificates) {
            // verify-full client certificates: the CN must be the role that logs in with it.
            leaves.push({ name: "db-client", commonName: s.db.user, usage: "client" });
            leaves.push({ name: "db-owner-client", commonName: ownerRole, usage: "client" });
        }
        if (s.api.https) {
            leaves.push({ name: "api", commonName: API_SERVICE_HOST, dnsNames: apiCertificateNames(s.api.replicas), usage: "server" });
        }
        if (s.pki.source === "generated") {
            leaves.push({ name: "edge", commonName: s.domain, dnsNames: [s.domain], usage: "server" });
        }
        const pki = new PrivateCa(
            `${name}-pki`,
            {
                keyAlgorithm: s.pki.keyAlgorithm,
                organization: `NestFlux ${s.stack}`,
                caValidityHours: s.pki.caValidityHours,
                certValidityHours: s.pki.certValidityHours,
                earlyRenewalHours: s.pki.earlyRenewalHours,
                rotationKey: args.rotationKey,
                leaves,
            },
            { parent: this },
        );

        const networks = new Networks(
            `${name}-net`,
            { namePrefix: prefix, stack: s.stack, edgeSubnet: s.networks.edgeSubnet, appSubnet: s.networks.appSubnet, dataSubnet: s.networks.dataSubnet },
            { parent: this },
        );

        const db = new Postgres(
            `${name}-pg`,
            {
                namePrefix: prefix,
                image: s.db.image,
                dataNetworkName: networks.dataName,
                database: s.db.name,
                appRole: s.db.user,
                ownerRole,
                certificatePem: pki.leaves.db.certificatePem,
                privateKeyPem: pki.leaves.db.privateKeyPem,
                caCertificatePem: pki.caCertificatePem,
                tlsMinVersion: s.db.tlsMinVersion,
                clientCertificates: s.db.clientCertificates,
                clientCidr: networks.dataSubnet,
                memoryMb: s.db.memoryMb,
                cpus: s.db.cpus,
                labels,
            },
            { parent: this },
        );

        const jwtSecret = s.api.jwtSecret
            ? pulumi.secret(s.api.jwtSecret)
            : new random.RandomPassword(`${name}-jwt-secret`, { length: 64, special: false }, { parent: this }).result;
        const adminPassword = s.api.adminEmail
            ? pulumi.secret(new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, { parent: this }).result)
            : undefined;
        const urlFor = (role: string, password: pulumi.Output<string>) =>
            pulumi.secret(pulumi.interpolate`postgresql://${role}:${password}@${DB_HOST}:${DB_PORT}/${s.db.name}?sslmode=verify-full`);
        const databaseUrl = urlFor(s.db.user, db.appPassword);

        const api = new Api(
            `${name}-api`,
            {
                namePrefix: prefix,
                image: s.api.image || undefined,
                buildContext: s.api.image ? undefined : args.apiBuildContext,
                buildTrigger: args.apiBuildTrigger,
                replicas: s.api.replicas,
                appNetworkName: networks.appName,
                dataNetworkName: networks.dataName,
                database: { url: databaseUrl, clientTls: pki.leaves["db-client"] },
                migrationDatabase: { url: urlFor(ownerRole, db.ownerPassword), clientTls: pki.leaves["db-owner-client"] },
                databaseCaPem: pki.caCertificatePem,
                jwtSecret,
                admin: adminPassword ? { email: s.api.adminEmail, password: adminPassword } : undefined,
                https: pki.leaves.api,
                // Only the proxy shares the app network with the API, so its subnet is the proxy.
                trustProxy: networks.appSubnet.apply((cidr) => cidr ?? "uniquelocal"),
                corsOrigins: s.api.corsOrigins,
                memoryMb: s.api.memoryMb,
                cpus: s.api.cpus,
                labels,
            },
            { parent: this, dependsOn: [db] },
        );

        const edge = s.pki.provided
            ? {
                  certificateChainPem: pulumi.output(joinPem(s.pki.provided.certificatePem, s.pki.provided.chainPem)),
                  privateKeyPem: pulumi.secret(s.pki.provided.privateKeyPem),
                  trustedChainPem: s.pki.provided.chainPem ? pulumi.output(s.pki.provided.chainPem) : undefined,
                  expiresAt: pulumi.output(s.pki.provided.expiresAt),
              }
            : {
                  // The leaf alone: clients must already hold the root, so sending it only costs bytes.
                  certificateChainPem: pki.leaves.edge.certificatePem,
                  privateKeyPem: pki.leaves.edge.privateKeyPem,
                  trustedChainPem: undefined,
                  expiresAt: pki.leaves.edge.expiresAt,
              };

        const p = s.proxy;
        const proxy = new Proxy(
            `${name}-proxy`,
            {
                namePrefix: prefix,
                image: p.image,
                nginxVersion: p.nginxVersion,
                edgeNetworkName: networks.edgeName,
                appNetworkName: networks.appName,
                serverName: s.domain,
                bindAddress: p.bindAddress,
                httpPort: p.httpPort,
                httpsPort: p.httpsPort,
                certificateChainPem: edge.certificateChainPem,
                privateKeyPem: edge.privateKeyPem,
                trustedChainPem: edge.trustedChainPem,
                tlsProfile: p.tlsProfile,
                hsts: p.hsts,
                contentSecurityPolicy: p.contentSecurityPolicy,
                permissionsPolicy: p.permissionsPolicy,
                rateLimit: { perSecond: p.rateLimitPerSecond, burst: p.rateLimitBurst, authPerMinute: p.authRateLimitPerMinute },
                timeoutSeconds: p.timeoutSeconds,
                clientMaxBodySize: p.clientMaxBodySize,
                upstreams: api.upstreams,
                upstreamTls: s.api.https ? { caCertificatePem: pki.caCertificatePem, serverName: API_SERVICE_HOST } : undefined,
                spaDir: p.spaDir || undefined,
                acmeDir: p.acmeDir || undefined,
                memoryMb: p.memoryMb,
                cpus: p.cpus,
                labels,
            },
            { parent: this, dependsOn: [api] },
        );

        const expiry: Record<string, pulumi.Output<string>> = { ca: pki.caExpiresAt, edge: edge.expiresAt };
        for (const [leaf, cert] of Object.entries(pki.leaves)) {
            if (leaf !== "edge") expiry[leaf] = cert.expiresAt;
        }

        this.url = proxy.url;
        this.caCertificatePem = pki.caCertificatePem;
        this.certificateExpiry = pulumi.output(expiry);
        this.networkNames = pulumi.output({ edge: networks.edgeName, app: networks.appName, data: networks.dataName });
        this.containerNames = pulumi.output({ db: db.containerName, api: api.containerNames, proxy: proxy.containerName });
        this.dbPassword = db.appPassword;
        this.databaseUrl = databaseUrl;
        this.adminPassword = adminPassword;
        this.registerOutputs({
            url: this.url,
            caCertificatePem: this.caCertificatePem,
            certificateExpiry: this.certificateExpiry,
            networkNames: this.networkNames,
            containerNames: this.containerNames,
        });
    }
}

/** The role that owns the schema and runs migrations, next to the application's data-only role. */
export function dbOwnerRole(appRole: string): string {
    return `${appRole}_owner`;
}

/** Concatenate PEM blocks, one newline between them, skipping empty ones. */
export function joinPem(...blocks: string[]): string {
    return blocks
        .map((b) => b.trim())
        .filter((b) => b !== "")
        .join("\n")
        .concat("\n");
}
