import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { BOUNDED_RESTART, hardened, ONE_SHOT, succeededId } from "./hardening";
import { toLabels } from "./labels";
import { API_METRICS_PORT, API_PORT, apiReplicaHost } from "./names";
import { ServiceFile, ServiceFiles } from "./service-files";
import { API_KEYS, ApiComponentSettings, componentSettings, memoryMb } from "./settings";
import { API_SETTINGS, ApiSettingKey, apiSettingsEnv, ApiSettingValues } from "../api/src/config/contract";

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

/**
 * `apiImage` (empty, the default, builds `buildContext`), `apiReplicas`, `apiMemory`, `apiCpus`,
 * `corsOrigins`, `jwtTtl`, the rate limits and `clientMaxBodySize` are the stack settings of the
 * same names, with their defaults (components/settings.ts); the API receives the last five as the
 * environment variables of its contract (api/src/config/contract.ts).
 */
export interface ApiArgs extends Partial<ApiComponentSettings> {
    /** Prefix of container names, e.g. "nestflux-dev". */
    namePrefix: pulumi.Input<string>;
    /** Directory with a Dockerfile to build the image from (the reference API in ./api), used when `apiImage` is empty. */
    buildContext?: string;
    /** Changes to this value rebuild the image (e.g. a hash of the build context). */
    buildTrigger?: pulumi.Input<string>;
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
    /** The site's origin (https://<domain>[:port]): its pages may open the API's websocket. Default: none. */
    publicOrigin?: string;
    /** Value of the API's TRUST_PROXY: whose X-Forwarded-For to believe. Default: "loopback". */
    trustProxy?: pulumi.Input<string | undefined>;
    /** Numeric uid:gid the image runs as; files are owned by it. Default: "1000:1000" (node). */
    runAs?: string;
    /** Container health check. Default: the reference image's `node dist/healthcheck.js`. */
    healthcheck?: string[];
    /** Command of the one-shot schema job. Default: the reference image's `node dist/migrate.js`. */
    migrateCommand?: string[];
    labels?: Record<string, pulumi.Input<string>>;
}

const FILES_DIR = "/run/nestflux";

/** The variables of the API contract that carry stack settings, in the contract's spelling. */
export function apiSettingsEnvironment(s: ApiComponentSettings): string[] {
    const keys = Object.keys(API_SETTINGS) as ApiSettingKey[];
    return apiSettingsEnv(Object.fromEntries(keys.map((k) => [k, s[k]])) as ApiSettingValues);
}

/** Environment of a replica, apart from TRUST_PROXY (known only once the app network exists). */
export function replicaEnvironment(s: ApiComponentSettings, opts: { https: boolean; clientTls: boolean; publicOrigin?: string }): string[] {
    return [
        "NODE_ENV=production",
        `PORT=${API_PORT}`,
        `METRICS_PORT=${API_METRICS_PORT}`,
        "HOST=0.0.0.0",
        ...databaseEnvironment(opts.clientTls),
        `JWT_SECRET_FILE=${FILES_DIR}/jwt_secret`,
        ...apiSettingsEnvironment(s),
        // The schema job owns the schema; the replicas' role could not migrate it anyway.
        "MIGRATE_ON_START=false",
        ...(opts.publicOrigin ? [`PUBLIC_ORIGIN=${opts.publicOrigin}`] : []),
        ...(opts.https ? ["HTTPS=true", `HTTPS_CERT_FILE=${FILES_DIR}/https.crt`, `HTTPS_KEY_FILE=${FILES_DIR}/https.key`] : ["HTTPS=false"]),
    ];
}

function databaseEnvironment(clientTls: boolean): string[] {
    const envs = [`DATABASE_URL_FILE=${FILES_DIR}/database_url`, `DATABASE_CA_FILE=${FILES_DIR}/db-ca.crt`];
    if (clientTls) envs.push(`DATABASE_CLIENT_CERT_FILE=${FILES_DIR}/db-client.crt`, `DATABASE_CLIENT_KEY_FILE=${FILES_DIR}/db-client.key`);
    return envs;
}

function databaseFiles(login: ApiDatabaseLogin, caPem: pulumi.Input<string>): ServiceFile[] {
    const files: ServiceFile[] = [
        { name: "database_url", content: login.url, secret: true },
        { name: "db-ca.crt", content: caPem },
    ];
    if (login.clientTls) {
        files.push(
            { name: "db-client.crt", content: login.clientTls.certificatePem },
            { name: "db-client.key", content: login.clientTls.privateKeyPem, secret: true },
        );
    }
    return files;
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
        // Checked before anything is registered: a bad value leaves no half-made component.
        const s = componentSettings(`Api ${name}`, API_KEYS, args);
        if (s.apiImage === "" && !args.buildContext) {
            throw new Error(`Api ${name}: set apiImage (a pinned image) or buildContext (a directory with a Dockerfile)`);
        }
        super("nestflux:app:Api", name, {}, opts);
        const replicas = s.apiReplicas;
        const runAs = args.runAs ?? "1000:1000";
        const image = this.image(name, args, s.apiImage);
        const migration = this.migrationJob(name, args, s, image, runAs);
        const containers = this.replicas(name, args, s, image, runAs, migration);

        this.upstreams = pulumi.output(Array.from({ length: replicas }, (_, i) => `${apiReplicaHost(i)}:${API_PORT}`));
        this.containerNames = pulumi.all(containers.map((c) => c.name));
        this.containerIds = pulumi.all(containers.map((c) => c.id));
        this.imageId = image.imageId;
        this.registerOutputs({ upstreams: this.upstreams, containerNames: this.containerNames, imageId: this.imageId });
    }

    /** RemoteImage (not docker.Image) either way: it exposes the local image ID, so containers
     * follow a rebuild and nothing is replaced when nothing changed (pulumi-docker#325). */
    private image(name: string, args: ApiArgs, apiImage: string): docker.RemoteImage {
        return new docker.RemoteImage(
            `${name}-image`,
            apiImage === ""
                ? {
                      name: pulumi.interpolate`${args.namePrefix}-api:local`,
                      build: { context: args.buildContext!, dockerfile: "Dockerfile" },
                      triggers: args.buildTrigger ? { source: args.buildTrigger } : undefined,
                      keepLocally: true,
                  }
                : { name: apiImage, keepLocally: true },
            { parent: this },
        );
    }

    /** Migrations and the initial admin, as the schema owner, to completion before any replica. */
    private migrationJob(name: string, args: ApiArgs, s: ApiComponentSettings, image: docker.RemoteImage, runAs: string): pulumi.Output<string> {
        const files = databaseFiles(args.migrationDatabase, args.databaseCaPem);
        const envs: pulumi.Input<string>[] = ["NODE_ENV=production", ...databaseEnvironment(args.migrationDatabase.clientTls !== undefined)];
        if (args.admin) {
            files.push({ name: "admin_password", content: args.admin.password, secret: true });
            envs.push(pulumi.interpolate`ADMIN_EMAIL=${args.admin.email}`, `ADMIN_PASSWORD_FILE=${FILES_DIR}/admin_password`);
        }
        const seeded = new ServiceFiles(
            `${name}-migrate-files`,
            { name: pulumi.interpolate`${args.namePrefix}-api-migrate-files`, image: image.imageId, owner: runAs, files, labels: args.labels },
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
                volumes: [{ volumeName: seeded.volumeName, containerPath: FILES_DIR, readOnly: true }],
                networksAdvanced: [{ name: args.dataNetworkName }],
                readOnly: true,
                init: true,
                ...ONE_SHOT,
                ...hardened({ memoryMb: memoryMb(s.apiMemory)!, cpus: s.apiCpus }),
                labels: [...toLabels(args.labels), { label: "nestflux.files-revision", value: seeded.revision }],
            },
            { parent: this, deleteBeforeReplace: true },
        );
        return succeededId(job, `Api ${name}: the schema job`);
    }

    private replicas(name: string, args: ApiArgs, s: ApiComponentSettings, image: docker.RemoteImage, runAs: string, migration: pulumi.Output<string>): docker.Container[] {
        const files: ServiceFile[] = [...databaseFiles(args.database, args.databaseCaPem), { name: "jwt_secret", content: args.jwtSecret, secret: true }];
        if (args.https) {
            files.push({ name: "https.crt", content: args.https.certificatePem }, { name: "https.key", content: args.https.privateKeyPem, secret: true });
        }
        const envs: pulumi.Input<string>[] = [
            ...replicaEnvironment(s, { https: args.https !== undefined, clientTls: args.database.clientTls !== undefined, publicOrigin: args.publicOrigin }),
            pulumi.interpolate`TRUST_PROXY=${args.trustProxy ?? "loopback"}`,
        ];
        const seeded = new ServiceFiles(
            `${name}-files`,
            { name: pulumi.interpolate`${args.namePrefix}-api-files`, image: image.imageId, owner: runAs, files, labels: args.labels },
            { parent: this },
        );

        const containers: docker.Container[] = [];
        for (let i = 0; i < s.apiReplicas; i++) {
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
                        ...hardened({ memoryMb: memoryMb(s.apiMemory)!, cpus: s.apiCpus }),
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
