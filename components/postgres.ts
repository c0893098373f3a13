import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { toLabels } from "./labels";
import { DB_HOST, DB_PORT } from "./names";
import { PG_TLS_FILES, renderPgHba, renderPostgresConf, renderPostgresEntrypoint, TlsVersion } from "./render/postgres";

export interface PostgresArgs {
    /** Prefix of container and volume names, e.g. "nestflux-dev". */
    namePrefix: pulumi.Input<string>;
    /** Image pinned by tag or digest, e.g. "postgres:16.6-bookworm". */
    image: pulumi.Input<string>;
    /** The data network: the only network the container joins. */
    dataNetworkName: pulumi.Input<string>;
    /** Database name. */
    database: pulumi.Input<string>;
    /** Login role the API uses. */
    user: pulumi.Input<string>;
    /** Server certificate (SANs must include DB_HOST), its key (secret) and the CA. */
    certificatePem: pulumi.Input<string>;
    privateKeyPem: pulumi.Input<string>;
    caCertificatePem: pulumi.Input<string>;
    /** Lowest TLS version accepted. Default: TLSv1.2. */
    tlsMinVersion?: TlsVersion;
    /** Require client certificates (clientcert=verify-full). Default: false. */
    clientCertificates?: boolean;
    /** Clients' network in CIDR form. Default: samenet (the data network the server is on). */
    clientCidr?: pulumi.Input<string | undefined>;
    /** Memory limit in MB. Default: 512. */
    memoryMb?: pulumi.Input<number>;
    /** Labels for the container and volume. */
    labels?: Record<string, pulumi.Input<string>>;
}

const CONF_DIR = "/etc/nestflux";
const SOURCE_DIR = `${CONF_DIR}/tls-src`;
/** Outside PGDATA, which must stay empty for initdb on first start. */
const TARGET_DIR = "/var/lib/postgresql/tls";

/** A TLS-only PostgreSQL server on the internal data network, with no published port. */
export class Postgres extends pulumi.ComponentResource {
    /** Secret. */
    public readonly password: pulumi.Output<string>;
    public readonly host: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    public readonly containerName: pulumi.Output<string>;
    public readonly volumeName: pulumi.Output<string>;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nestflux:security:Postgres", name, {}, opts);
        const clientCertificates = args.clientCertificates ?? false;
        const labels = toLabels(args.labels);

        // Letters and digits only: ≈238 bits, and safe inside a connection URL without escaping.
        const password = new random.RandomPassword(`${name}-password`, { length: 40, special: false }, { parent: this });

        const image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent: this });
        const volume = new docker.Volume(
            `${name}-data`,
            { name: pulumi.interpolate`${args.namePrefix}-pgdata`, labels },
            // Data outlives a replacement of anything else; deleting it takes an explicit destroy.
            { parent: this, retainOnDelete: true },
        );

        const conf = renderPostgresConf({
            port: DB_PORT,
            listenAddresses: "*",
            certificatePath: `${TARGET_DIR}/${PG_TLS_FILES.certificate}`,
            keyPath: `${TARGET_DIR}/${PG_TLS_FILES.key}`,
            caPath: `${TARGET_DIR}/${PG_TLS_FILES.ca}`,
            hbaPath: `${CONF_DIR}/pg_hba.conf`,
            tlsMinVersion: args.tlsMinVersion ?? "TLSv1.2",
        });
        const hba = pulumi.output(args.clientCidr).apply((clientCidr) => renderPgHba({ clientCidr, clientCertificates }));
        const entrypoint = renderPostgresEntrypoint({
            sourceDir: SOURCE_DIR,
            targetDir: TARGET_DIR,
            owner: "postgres",
            exec: `docker-entrypoint.sh postgres -c config_file=${CONF_DIR}/postgresql.conf`,
        });

        const container = new docker.Container(
            `${name}-db`,
            {
                name: pulumi.interpolate`${args.namePrefix}-db`,
                image: image.imageId,
                hostname: "db",
                entrypoints: ["/bin/sh", `${CONF_DIR}/entrypoint.sh`],
                envs: [
                    pulumi.interpolate`POSTGRES_DB=${args.database}`,
                    pulumi.interpolate`POSTGRES_USER=${args.user}`,
                    // A file, not the value: `docker inspect` shows every env var.
                    `POSTGRES_PASSWORD_FILE=${SOURCE_DIR}/${PG_TLS_FILES.password}`,
                    "PGDATA=/var/lib/postgresql/data/pgdata",
                ],
                uploads: [
                    { file: `${CONF_DIR}/entrypoint.sh`, content: entrypoint, permissions: "0755" },
                    { file: `${CONF_DIR}/postgresql.conf`, content: conf, permissions: "0644" },
                    { file: `${CONF_DIR}/pg_hba.conf`, content: hba, permissions: "0644" },
                    { file: `${SOURCE_DIR}/${PG_TLS_FILES.certificate}`, content: args.certificatePem, permissions: "0644" },
                    { file: `${SOURCE_DIR}/${PG_TLS_FILES.ca}`, content: args.caCertificatePem, permissions: "0644" },
                    { file: `${SOURCE_DIR}/${PG_TLS_FILES.key}`, content: pulumi.secret(args.privateKeyPem), permissions: "0600" },
                    { file: `${SOURCE_DIR}/${PG_TLS_FILES.password}`, content: pulumi.secret(password.result), permissions: "0600" },
                ],
                volumes: [{ volumeName: volume.name, containerPath: "/var/lib/postgresql/data" }],
                networksAdvanced: [{ name: args.dataNetworkName, aliases: [DB_HOST] }],
                healthcheck: {
                    tests: ["CMD-SHELL", 'pg_isready -U "$POSTGRES_USER" -d "$POSTGRES_DB"'],
                    interval: "10s",
                    timeout: "5s",
                    retries: 5,
                    startPeriod: "30s",
                },
                restart: "unless-stopped",
                memory: args.memoryMb ?? 512,
                securityOpts: ["no-new-privileges:true"],
                // What the image's entrypoint needs to fix ownership and drop to the postgres user.
                capabilities: { drops: ["ALL"], adds: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"] },
                labels,
                destroyGraceSeconds: 30,
            },
            { parent: this, deleteBeforeReplace: true },
        );

        this.password = pulumi.secret(password.result);
        this.host = pulumi.output(DB_HOST);
        this.port = pulumi.output(DB_PORT);
        this.containerName = container.name;
        this.volumeName = volume.name;
        this.registerOutputs({ host: this.host, port: this.port, containerName: this.containerName, volumeName: this.volumeName });
    }
}
