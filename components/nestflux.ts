import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Api } from "./api";
import type { StackSettings } from "./config";
import { EdgeProxy } from "./edge-proxy";
import { API_SERVICE_HOST, DB_HOST, DB_PORT, apiCertificateNames } from "./names";
import { Networks } from "./networks";
import { IssuedCertificate, LeafSpec, PrivateCa } from "./pki";
import { dbDumpRole, dbOwnerRole, Postgres } from "./postgres";
import { API_KEYS, DB_KEYS, NETWORK_KEYS, pick, PKI_KEYS, PROXY_KEYS } from "./settings";

export interface NestFluxArgs {
    /** Validated settings (see parseSettings and stackSettings); they decide how many resources exist. */
    settings: StackSettings;
    /** Re-issues every generated leaf certificate when it changes (see rotationWindow). */
    rotationKey: pulumi.Input<string>;
    /** Build context of the API image, used when settings.apiImage is empty. */
    apiBuildContext?: string;
    /** Changes rebuild the API image (e.g. a hash of apiBuildContext's Docker build context). */
    apiBuildTrigger?: pulumi.Input<string>;
}

/** The certificates the private CA issues for a stack: one per TLS hop the settings turn on. */
export function leafCertificates(
    s: Pick<StackSettings, "domain" | "dbUser" | "dbClientCerts" | "apiHttps" | "apiReplicas" | "certSource" | "backupIntervalMinutes">,
): LeafSpec[] {
    const leaves: LeafSpec[] = [{ name: "db", commonName: DB_HOST, dnsNames: [DB_HOST], usage: "server" }];
    if (s.dbClientCerts) {
        // verify-full client certificates: the CN must be the role that logs in with it.
        leaves.push({ name: "db-client", commonName: s.dbUser, usage: "client" });
        leaves.push({ name: "db-owner-client", commonName: dbOwnerRole(s.dbUser), usage: "client" });
        if (s.backupIntervalMinutes > 0) leaves.push({ name: "db-dump-client", commonName: dbDumpRole(s.dbUser), usage: "client" });
    }
    if (s.apiHttps) {
        leaves.push({ name: "api", commonName: API_SERVICE_HOST, dnsNames: apiCertificateNames(s.apiReplicas), usage: "server" });
    }
    if (s.certSource === "generated") {
        leaves.push({ name: "edge", commonName: s.domain, dnsNames: [s.domain], usage: "server" });
    }
    return leaves;
}

export interface EdgeCertificate {
    /** Leaf first, then intermediates. */
    certificateChainPem: pulumi.Output<string>;
    privateKeyPem: pulumi.Output<string>;
    /** Issuer chain of a public certificate (OCSP stapling); undefined for the private CA's leaf. */
    trustedChainPem?: pulumi.Output<string>;
    expiresAt: pulumi.Output<string>;
}

/** The certificate the proxy serves: the provided one, or the private CA's `edge` leaf. */
export function edgeCertificate(s: Pick<StackSettings, "provided">, leaves: Record<string, IssuedCertificate>): EdgeCertificate {
    if (s.provided) {
        return {
            certificateChainPem: pulumi.output(joinPem(s.provided.certificatePem, s.provided.chainPem)),
            privateKeyPem: s.provided.privateKeyPem,
            trustedChainPem: s.provided.chainPem ? pulumi.output(s.provided.chainPem) : undefined,
            expiresAt: pulumi.output(s.provided.expiresAt),
        };
    }
    // The leaf alone: clients must already hold the root, so sending it only costs bytes.
    const edge = leaves.edge;
    if (!edge) throw new Error("edgeCertificate: certSource is generated but the CA issued no edge leaf");
    return { certificateChainPem: edge.certificatePem, privateKeyPem: edge.privateKeyPem, expiresAt: edge.expiresAt };
}

/** notAfter of every certificate the stack depends on, by name: the CA, the edge, each leaf. */
export function certificateExpiry<T>(caExpiresAt: T, edgeExpiresAt: T, leaves: Record<string, { expiresAt: T }>): Record<string, T> {
    const expiry: Record<string, T> = { ca: caExpiresAt, edge: edgeExpiresAt };
    for (const [leaf, cert] of Object.entries(leaves)) {
        if (leaf !== "edge") expiry[leaf] = cert.expiresAt;
    }
    return expiry;
}

/** Where browsers load the site from: the origin of the proxy's HTTPS port. */
export function publicOrigin(s: Pick<StackSettings, "domain" | "httpsPort">): string {
    return `https://${s.domain}${s.httpsPort === 443 ? "" : `:${s.httpsPort}`}`;
}

/** A verify-full URL for a database role: secret, because it carries the password. */
function databaseUrl(role: string, password: pulumi.Output<string>, dbName: string): pulumi.Output<string> {
    return pulumi.secret(pulumi.interpolate`postgresql://${role}:${password}@${DB_HOST}:${DB_PORT}/${dbName}?sslmode=verify-full`);
}

/** The whole layout: PKI, networks, PostgreSQL, API replicas and the nginx edge proxy. */
export class NestFlux extends pulumi.ComponentResource {
    public readonly url: pulumi.Output<string>;
    /** Public: clients of a dev stack trust this CA. */
    public readonly caCertificatePem: pulumi.Output<string>;
    /** notAfter of each certificate, RFC 3339. */
    public readonly certificateExpiry: pulumi.Output<Record<string, string>>;
    public readonly networkNames: pulumi.Output<{ edge: string; app: string; data: string }>;
    public readonly containerNames: pulumi.Output<{ db: string; api: string[]; proxy: string; backup?: string }>;
    /** Secret: the application role's password. */
    public readonly dbPassword: pulumi.Output<string>;
    /** Secret: what the API connects with. */
    public readonly databaseUrl: pulumi.Output<string>;
    /** Secret: the initial admin's password, when settings.adminEmail is set. */
    public readonly adminPassword?: pulumi.Output<string>;

    constructor(name: string, args: NestFluxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nestflux:index:NestFlux", name, {}, opts);
        const s = args.settings;
        const namePrefix = `${name}-${s.stack}`;
        const labels = { "nestflux.stack": s.stack };

        const pki = new PrivateCa(
            `${name}-pki`,
            { ...pick(s, PKI_KEYS), organization: `NestFlux ${s.stack}`, rotationKey: args.rotationKey, leaves: leafCertificates(s) },
            { parent: this },
        );
        const networks = new Networks(`${name}-networks`, { ...pick(s, NETWORK_KEYS), namePrefix, stack: s.stack }, { parent: this });
        const db = new Postgres(
            `${name}-db`,
            {
                ...pick(s, DB_KEYS),
                namePrefix,
                dataNetworkName: networks.dataName,
                certificatePem: pki.leaves.db.certificatePem,
                privateKeyPem: pki.leaves.db.privateKeyPem,
                caCertificatePem: pki.caCertificatePem,
                clientCidr: networks.dataSubnet,
                dumpClientTls: pki.leaves["db-dump-client"],
                labels,
            },
            { parent: this },
        );
        const { api, databaseUrl, adminPassword } = this.api(name, args, namePrefix, labels, pki, networks, db);
        const edge = edgeCertificate(s, pki.leaves);
        const proxy = new EdgeProxy(
            `${name}-proxy`,
            {
                ...pick(s, PROXY_KEYS),
                namePrefix,
                edgeNetworkName: networks.edgeName,
                appNetworkName: networks.appName,
                certificateChainPem: edge.certificateChainPem,
                privateKeyPem: edge.privateKeyPem,
                trustedChainPem: edge.trustedChainPem,
                upstreams: api.upstreams,
                upstreamTls: s.apiHttps ? { caCertificatePem: pki.caCertificatePem, serverName: API_SERVICE_HOST } : undefined,
                labels,
            },
            { parent: this, dependsOn: [api] },
        );

        this.url = proxy.url;
        this.caCertificatePem = pki.caCertificatePem;
        this.certificateExpiry = pulumi.output(certificateExpiry(pki.caExpiresAt, edge.expiresAt, pki.leaves));
        this.networkNames = pulumi.output({ edge: networks.edgeName, app: networks.appName, data: networks.dataName });
        this.containerNames = pulumi.output({
            db: db.containerName,
            api: api.containerNames,
            proxy: proxy.containerName,
            ...(db.backupContainerName ? { backup: db.backupContainerName } : {}),
        });
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

    /** The API with its secrets: the JWT secret (given or generated) and the first admin's password. */
    private api(name: string, args: NestFluxArgs, namePrefix: string, labels: Record<string, string>, pki: PrivateCa, networks: Networks, db: Postgres) {
        const s = args.settings;
        const jwtSecret = s.jwtSecret ?? new random.RandomPassword(`${name}-jwt-secret`, { length: 64, special: false }, { parent: this }).result;
        const adminPassword = s.adminEmail
            ? pulumi.secret(new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, { parent: this }).result)
            : undefined;
        const appUrl = databaseUrl(s.dbUser, db.appPassword, s.dbName);
        const api = new Api(
            `${name}-api`,
            {
                ...pick(s, API_KEYS),
                namePrefix,
                buildContext: s.apiImage ? undefined : args.apiBuildContext,
                buildTrigger: args.apiBuildTrigger,
                appNetworkName: networks.appName,
                dataNetworkName: networks.dataName,
                database: { url: appUrl, clientTls: pki.leaves["db-client"] },
                migrationDatabase: { url: databaseUrl(dbOwnerRole(s.dbUser), db.ownerPassword, s.dbName), clientTls: pki.leaves["db-owner-client"] },
                databaseCaPem: pki.caCertificatePem,
                jwtSecret,
                admin: adminPassword ? { email: s.adminEmail, password: adminPassword } : undefined,
                https: pki.leaves.api,
                publicOrigin: publicOrigin(s),
                // Only the proxy shares the app network with the API, so its subnet is the proxy.
                trustProxy: networks.appSubnet.apply((cidr) => cidr ?? "uniquelocal"),
                labels,
            },
            { parent: this, dependsOn: [db] },
        );
        return { api, databaseUrl: appUrl, adminPassword };
    }
}

/** Concatenate PEM blocks, one newline between them, skipping empty ones. */
export function joinPem(...blocks: string[]): string {
    return blocks
        .map((b) => b.trim())
        .filter((b) => b !== "")
        .join("\n")
        .concat("\n");
}
