import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { toLabels } from "./labels";
import { API_PORT, apiReplicaHost } from "./names";

export interface ApiTlsFiles {
    certificatePem: pulumi.Input<string>;
    /** Secret. */
    privateKeyPem: pulumi.Input<string>;
}

export interface ApiArgs {
    /** Prefix of container names, e.g. "nestflux-dev". */
    namePrefix: pulumi.Input<string>;
    /** Image reference to pull, used when `buildContext` is not set. */
    image?: pulumi.Input<string>;
    /** Directory with a Dockerfile to build the image from (the reference API in ./api). */
    buildContext?: string;
    /** Changes to this value rebuild the image (e.g. a hash of the build context). */
    buildTrigger?: pulumi.Input<string>;
    /** Number of containers. Default: 1. */
    replicas?: number;
    /** The network shared with the proxy. */
    appNetworkName: pulumi.Input<string>;
    /** The network shared with the database. */
    dataNetworkName: pulumi.Input<string>;
    /** Secret: postgresql://…?sslmode=verify-full. */
    databaseUrl: pulumi.Input<string>;
    /** CA that signed the database's certificate. */
    databaseCaPem: pulumi.Input<string>;
    /** Client certificate for PostgreSQL, when the server requires one. */
    databaseClientTls?: ApiTlsFiles;
    /** Secret used to sign access tokens. */
    jwtSecret: pulumi.Input<string>;
    /** Initial admin account created (idempotently) at start. Default: none. */
    admin?: { email: pulumi.Input<string>; password: pulumi.Input<string> };
    /** Serve HTTPS natively with this certificate; plain HTTP when unset. */
    https?: ApiTlsFiles;
    /** Value of the API's TRUST_PROXY: whose X-Forwarded-For to believe. Default: "loopback". */
    trustProxy?: pulumi.Input<string | undefined>;
    /** Allowed CORS origins. Default: none. */
    corsOrigins?: pulumi.Input<string[]>;
    /** Memory limit in MB per replica. Default: 256. */
    memoryMb?: pulumi.Input<number>;
    /** uid:gid the image runs as; secret files are owned by it. Default: "1000:1000" (node). */
    runAs?: string;
    /** Container health check. Default: the reference image's `node dist/healthcheck.js`. */
    healthcheck?: string[];
    labels?: Record<string, pulumi.Input<string>>;
}

const SECRETS_DIR = "/run/nestflux";

/** The NestJS API: N identical containers on the app and data networks, no published port. */
export class Api extends pulumi.ComponentResource {
    /** host:port of each replica, as the proxy dials them. */
    public readonly upstreams: pulumi.Output<string[]>;
    public readonly containerNames: pulumi.Output<string[]>;
    public readonly imageId: pulumi.Output<string>;

    constructor(name: string, args: ApiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nestflux:app:Api", name, {}, opts);
        const replicas = args.replicas ?? 1;
        if (!Number.isInteger(replicas) || replicas < 1) {
            throw new Error(`Api ${name}: replicas must be a whole number ≥ 1, got ${replicas}`);
        }
        if (!args.image && !args.buildContext) {
            throw new Error(`Api ${name}: set image or buildContext`);
        }
        const [uid, gid] = (args.runAs ?? "1000:1000").split(":");
        const labels = toLabels(args.labels);

        // RemoteImage (not docker.Image) either way: it exposes the local image ID, so containers
        // follow a rebuild and nothing is replaced when nothing changed (pulumi-docker#325).
        const image = new docker.RemoteImage(
            `${name}-image`,
            args.buildContext
                ? {
                      name: pulumi.interpolate`${args.namePrefix}-api:local`,
                      build: { context: args.buildContext, dockerfile: "Dockerfile" },
                      triggers: args.buildTrigger ? { source: args.buildTrigger } : undefined,
                      keepLocally: true,
                  }
                : { name: args.image!, keepLocally: true },
            { parent: this },
        );

        const secretFile = (file: string, content: pulumi.Input<string>) => ({
            file: `${SECRETS_DIR}/${file}`,
            content: pulumi.secret(content),
            owner: uid,
            group: gid,
            permissions: "0400",
        });
        const publicFile = (file: string, content: pulumi.Input<string>) => ({
            file: `${SECRETS_DIR}/${file}`,
            content,
            permissions: "0444",
        });

        const uploads = [
            secretFile("database_url", args.databaseUrl),
            secretFile("jwt_secret", args.jwtSecret),
            publicFile("db-ca.crt", args.databaseCaPem),
        ];
        const envs: pulumi.Input<string>[] = [
            "NODE_ENV=production",
            `PORT=${API_PORT}`,
            "HOST=0.0.0.0",
            `DATABASE_URL_FILE=${SECRETS_DIR}/database_url`,
            `DATABASE_CA_FILE=${SECRETS_DIR}/db-ca.crt`,
            `JWT_SECRET_FILE=${SECRETS_DIR}/jwt_secret`,
            pulumi.interpolate`TRUST_PROXY=${args.trustProxy ?? "loopback"}`,
            pulumi.output(args.corsOrigins ?? []).apply((o) => `CORS_ORIGINS=${o.join(",")}`),
        ];
        if (args.admin) {
            uploads.push(secretFile("admin_password", args.admin.password));
            envs.push(pulumi.interpolate`ADMIN_EMAIL=${args.admin.email}`, `ADMIN_PASSWORD_FILE=${SECRETS_DIR}/admin_password`);
        }
        if (args.databaseClientTls) {
            uploads.push(
                publicFile("db-client.crt", args.databaseClientTls.certificatePem),
                secretFile("db-client.key", args.databaseClientTls.privateKeyPem),
            );
            envs.push(`DATABASE_CLIENT_CERT_FILE=${SECRETS_DIR}/db-client.crt`, `DATABASE_CLIENT_KEY_FILE=${SECRETS_DIR}/db-client.key`);
        }
        if (args.https) {
            uploads.push(publicFile("https.crt", args.https.certificatePem), secretFile("https.key", args.https.privateKeyPem));
            envs.push("HTTPS=true", `HTTPS_CERT_FILE=${SECRETS_DIR}/https.crt`, `HTTPS_KEY_FILE=${SECRETS_DIR}/https.key`);
        } else {
            envs.push("HTTPS=false");
        }

        const containers: docker.Container[] = [];
        for (let i = 0; i < replicas; i++) {
            const first = containers[0];
            containers.push(
                new docker.Container(
                    `${name}-${i}`,
                    {
                        name: pulumi.interpolate`${args.namePrefix}-api-${i}`,
                        image: image.imageId,
                        hostname: `api-${i}`,
                        user: `${uid}:${gid}`,
                        // One replica migrates the schema; the others start once it is healthy.
                        envs: [...envs, `MIGRATE_ON_START=${i === 0}`],
                        uploads,
                        networksAdvanced: [
                            { name: args.appNetworkName, aliases: [apiReplicaHost(i)] },
                            { name: args.dataNetworkName },
                        ],
                        healthcheck: {
                            tests: args.healthcheck ?? ["CMD", "node", "dist/healthcheck.js"],
                            interval: "10s",
                            timeout: "5s",
                            retries: 3,
                            startPeriod: "20s",
                        },
                        wait: i === 0,
                        waitTimeout: 120,
                        restart: "unless-stopped",
                        memory: args.memoryMb ?? 256,
                        readOnly: true,
                        tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
                        securityOpts: ["no-new-privileges:true"],
                        capabilities: { drops: ["ALL"] },
                        labels,
                        destroyGraceSeconds: 30,
                    },
                    { parent: this, deleteBeforeReplace: true, dependsOn: first ? [first] : [] },
                ),
            );
        }

        this.upstreams = pulumi.output(Array.from({ length: replicas }, (_, i) => `${apiReplicaHost(i)}:${API_PORT}`));
        this.containerNames = pulumi.all(containers.map((c) => c.name));
        this.imageId = image.imageId;
        this.registerOutputs({ upstreams: this.upstreams, containerNames: this.containerNames, imageId: this.imageId });
    }
}
