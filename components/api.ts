import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { BOUNDED_RESTART, hardened, ONE_SHOT, succeededId } from "./hardening";
import { toLabels } from "./labels";
import { API_PORT, apiReplicaHost } from "./names";
import { ServiceFile, ServiceFiles } from "./service-files";

export interface ApiTlsFiles {
    certificatePem: pulumi.Input<string>;
    /** Secret. */
    privateKeyPem: pulumi.Input<string>;
}

/** A database login: a verify-full URL and, when the server requires one, a client certificate. */
export interface ApiDatabaseLogin {
    /** Secret: postgresql://…?sslmode=verify-full. */
    url: pulumi.Input<string>;
    clientTls?: ApiTlsFiles;
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
    /** The replicas' login: a role with data access only. */
    database: ApiDatabaseLogin;
    /** The schema job's login: the role that owns the schema. */
    migrationDatabase: ApiDatabaseLogin;
    /** CA that signed the database's certificate. */
    databaseCaPem: pulumi.Input<string>;
    /** Secret used to sign access tokens. */
    jwtSecret: pulumi.Input<string>;
    /** Initial admin account, created (idempotently) by the schema job. Default: none. */
    admin?: { email: pulumi.Input<string>; password: pulumi.Input<string> };
    /** Serve HTTPS natively with this certificate; plain HTTP when unset. */
    https?: ApiTlsFiles;
    /** Value of the API's TRUST_PROXY: whose X-Forwarded-For to believe. Default: "loopback". */
    trustProxy?: pulumi.Input<string | undefined>;
    /** Allowed CORS origins. Default: none. */
    corsOrigins?: pulumi.Input<string[]>;
    /** Memory limit in MB per replica. Default: 256. */
    memoryMb?: number;
    /** CPU limit per replica. Default: "1.0". */
    cpus?: string;
    /** Numeric uid:gid the image runs as; files are owned by it. Default: "1000:1000" (node). */
    runAs?: string;
    /** Container health check. Default: the reference image's `node dist/healthcheck.js`. */
    healthcheck?: string[];
    /** Command of the one-shot schema job. Default: the reference image's `node dist/migrate.js`. */
    migrateCommand?: string[];
    labels?: Record<string, pulumi.Input<string>>;
}

const FILES_DIR = "/run/nestflux";

function databaseFiles(login: ApiDatabaseLogin, caPem: pulumi.Input<string>): { files: ServiceFile[]; envs: string[] } {
    const files: ServiceFile[] = [
        { name: "database_url", content: login.url, secret: true },
        { name: "db-ca.crt", content: caPem },
    ];
    const envs = [`DATABASE_URL_FILE=${FILES_DIR}/database_url`, `DATABASE_CA_FILE=${FILES_DIR}/db-ca.crt`];
    if (login.clientTls) {
        files.push(
            { name: "db-client.crt", content: login.clientTls.certificatePem },
            { name: "db-client.key", content: login.clientTls.privateKeyPem, secret: true },
        );
        envs.push(`DATABASE_CLIENT_CERT_FILE=${FILES_DIR}/db-client.crt`, `DATABASE_CLIENT_KEY_FILE=${FILES_DIR}/db-client.key`);
    }
    return { files, envs };
}

/**
 * The NestJS API: a one-shot schema job (migrations and the initial admin, as the schema owner),
 * then N identical replicas on the app and data networks, logging in as the data-only role, with
 * no published port.
 */
export class Api extends pulumi.ComponentResource {
    /** host:port of each replica, as the proxy dials them. */
    public readonly upstreams: pulumi.Output<string[]>;
    public readonly containerNames: pulumi.Output<string[]>;
    public readonly imageId: pulumi.Output<string>;
    /** IDs of the replicas: they change whenever a replica is replaced. */
    public readonly containerIds: pulumi.Output<string[]>;

    constructor(name: string, args: ApiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nestflux:app:Api", name, {}, opts);
        const replicas = args.replicas ?? 1;
        if (!Number.isInteger(replicas) || replicas < 1) {
            throw new Error(`Api ${name}: replicas must be a whole number ≥ 1, got ${replicas}`);
        }
        if (!args.image && !args.buildContext) {
            throw new Error(`Api ${name}: set image or buildContext`);
        }
        const runAs = args.runAs ?? "1000:1000";
        const image = this.image(name, args);
        const migration = this.migrationJob(name, args, image, runAs);
        const containers = this.replicas(name, args, image, runAs, replicas, migration);

        this.upstreams = pulumi.output(Array.from({ length: replicas }, (_, i) => `${apiReplicaHost(i)}:${API_PORT}`));
        this.containerNames = pulumi.all(containers.map((c) => c.name));
        this.containerIds = pulumi.all(containers.map((c) => c.id));
        this.imageId = image.imageId;
        this.registerOutputs({ upstreams: this.upstreams, containerNames: this.containerNames, imageId: this.imageId });
    }

    /** RemoteImage (not docker.Image) either way: it exposes the local image ID, so containers
     * follow a rebuild and nothing is replaced when nothing changed (pulumi-docker#325). */
    private image(name: string, args: ApiArgs): docker.RemoteImage {
        return new docker.RemoteImage(
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
    }

    /** Migrations and the initial admin, as the schema owner, to completion before any replica. */
    private migrationJob(name: string, args: ApiArgs, image: docker.RemoteImage, runAs: string): pulumi.Output<string> {
        const db = databaseFiles(args.migrationDatabase, args.databaseCaPem);
        const envs: pulumi.Input<string>[] = ["NODE_ENV=production", ...db.envs];
        if (args.admin) {
            db.files.push({ name: "admin_password", content: args.admin.password, secret: true });
            envs.push(pulumi.interpolate`ADMIN_EMAIL=${args.admin.email}`, `ADMIN_PASSWORD_FILE=${FILES_DIR}/admin_password`);
        }
        const files = new ServiceFiles(
            `${name}-migrate-files`,
            { name: pulumi.interpolate`${args.namePrefix}-api-migrate-files`, image: image.imageId, owner: runAs, files: db.files, labels: args.labels },
            { parent: this },
        );
        const job = new docker.Container(
            `${name}-migrate`,
            {
                name: pulumi.interpolate`${args.namePrefix}-api-migrate`,
                image: image.imageId,
                user: runAs,
                command: args.migrateCommand ?? ["node", "dist/migrate.js"],
                envs,
                volumes: [{ volumeName: files.volumeName, containerPath: FILES_DIR, readOnly: true }],
                networksAdvanced: [{ name: args.dataNetworkName }],
                readOnly: true,
                init: true,
                ...ONE_SHOT,
                ...hardened({ memoryMb: args.memoryMb ?? 256, cpus: args.cpus ?? "1.0" }),
                labels: [...toLabels(args.labels), { label: "nestflux.files-revision", value: files.revision }],
            },
            { parent: this, deleteBeforeReplace: true },
        );
        return succeededId(job, `Api ${name}: the schema job`);
    }

    private replicas(name: string, args: ApiArgs, image: docker.RemoteImage, runAs: string, replicas: number, migration: pulumi.Output<string>): docker.Container[] {
        const db = databaseFiles(args.database, args.databaseCaPem);
        const files: ServiceFile[] = [...db.files, { name: "jwt_secret", content: args.jwtSecret, secret: true }];
        const envs: pulumi.Input<string>[] = [
            "NODE_ENV=production",
            `PORT=${API_PORT}`,
            "HOST=0.0.0.0",
            ...db.envs,
            `JWT_SECRET_FILE=${FILES_DIR}/jwt_secret`,
            pulumi.interpolate`TRUST_PROXY=${args.trustProxy ?? "loopback"}`,
            pulumi.output(args.corsOrigins ?? []).apply((o) => `CORS_ORIGINS=${o.join(",")}`),
            // The schema job owns the schema; the replicas' role could not migrate it anyway.
            "MIGRATE_ON_START=false",
        ];
        if (args.https) {
            files.push({ name: "https.crt", content: args.https.certificatePem }, { name: "https.key", content: args.https.privateKeyPem, secret: true });
            envs.push("HTTPS=true", `HTTPS_CERT_FILE=${FILES_DIR}/https.crt`, `HTTPS_KEY_FILE=${FILES_DIR}/https.key`);
        } else {
            envs.push("HTTPS=false");
        }
        const seeded = new ServiceFiles(
            `${name}-files`,
            { name: pulumi.interpolate`${args.namePrefix}-api-files`, image: image.imageId, owner: runAs, files, labels: args.labels },
            { parent: this },
        );

        const containers: docker.Container[] = [];
        for (let i = 0; i < replicas; i++) {
            containers.push(
                new docker.Container(
                    `${name}-${i}`,
                    {
                        name: pulumi.interpolate`${args.namePrefix}-api-${i}`,
                        image: image.imageId,
                        hostname: `api-${i}`,
                        user: runAs,
                        envs,
                        volumes: [{ volumeName: seeded.volumeName, containerPath: FILES_DIR, readOnly: true }],
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
                        wait: true,
                        waitTimeout: 120,
                        readOnly: true,
                        init: true,
                        tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m,mode=1777" },
                        ...hardened({ memoryMb: args.memoryMb ?? 256, cpus: args.cpus ?? "1.0" }),
                        ...BOUNDED_RESTART,
                        labels: [
                            ...toLabels(args.labels),
                            { label: "nestflux.files-revision", value: seeded.revision },
                            { label: "nestflux.schema-job", value: migration },
                        ],
                        destroyGraceSeconds: 30,
                    },
                    { parent: this, deleteBeforeReplace: true },
                ),
            );
        }
        return containers;
    }
}
