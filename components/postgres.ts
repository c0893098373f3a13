import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BOUNDED_RESTART, hardened } from "./hardening";
import { toLabels } from "./labels";
import { DB_HOST, DB_PORT } from "./names";
import { PG_FILES, renderPgHba, renderPostgresConf, renderRolesScript, TlsVersion } from "./render/postgres";
import { ServiceFiles } from "./service-files";
import { componentSettings, DB_KEYS, DbComponentSettings, memoryMb } from "./settings";

/** The role that owns the schema and runs migrations, next to the application's data-only role `dbUser`. */
export function dbOwnerRole(dbUser: string): string {
    return `${dbUser}_owner`;
}

/**
 * `dbImage`, `dbName`, `dbUser` (the API's data-only role; `<dbUser>_owner` owns the schema),
 * `dbTlsMinVersion`, `dbClientCerts`, `dbMemory` and `dbCpus` are the stack settings of the same
 * names, with their defaults (components/settings.ts).
 */
export interface PostgresArgs extends Partial<DbComponentSettings> {
    /** Prefix of container and volume names, e.g. "nestflux-dev". */
    namePrefix: pulumi.Input<string>;
    /** The data network: the only network the container joins. */
    dataNetworkName: pulumi.Input<string>;
    /** Server certificate (SANs must include DB_HOST), its key (secret) and the CA. */
    certificatePem: pulumi.Input<string>;
    privateKeyPem: pulumi.Input<string>;
    caCertificatePem: pulumi.Input<string>;
    /** Clients' network in CIDR form. Default: samenet (the data network the server is on). */
    clientCidr?: pulumi.Input<string | undefined>;
    /** uid:gid of the `postgres` user in the image. Default: "999:999" (the official Debian-based image). */
    runAs?: string;
    /** Labels for the containers and volumes. */
    labels?: Record<string, pulumi.Input<string>>;
}

const CONF_DIR = "/etc/nestflux";
const INITDB_DIR = "/docker-entrypoint-initdb.d";
const DATA_DIR = "/var/lib/postgresql/data";

/** A TLS-only PostgreSQL server on the internal data network, with no published port. */
export class Postgres extends pulumi.ComponentResource {
    /** Secret: the application role's password. */
    public readonly appPassword: pulumi.Output<string>;
    /** Secret: the owner role's password (migrations). */
    public readonly ownerPassword: pulumi.Output<string>;
    public readonly host: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    public readonly containerName: pulumi.Output<string>;
    public readonly volumeName: pulumi.Output<string>;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything is registered: a bad value leaves no half-made component.
        const s = componentSettings(`Postgres ${name}`, DB_KEYS, args);
        super("nestflux:security:Postgres", name, {}, opts);
        const runAs = args.runAs ?? "999:999";
        const labels = toLabels(args.labels);
        // Letters and digits only: ≈238 bits, and safe inside a connection URL without escaping.
        const newPassword = (role: string) =>
            new random.RandomPassword(`${name}-${role}-password`, { length: 40, special: false }, { parent: this }).result;
        const superuserPassword = newPassword("superuser");
        const ownerPassword = newPassword("owner");
        const appPassword = newPassword("app");

        const image = new docker.RemoteImage(`${name}-image`, { name: s.dbImage, keepLocally: true }, { parent: this });
        const data = new docker.Volume(
            `${name}-data`,
            { name: pulumi.interpolate`${args.namePrefix}-pgdata`, labels },
            // Data outlives a replacement of anything else; deleting it takes an explicit destroy.
            { parent: this, retainOnDelete: true },
        );

        const { config, initdb } = this.files(name, args, s, image, runAs, { superuserPassword, ownerPassword, appPassword });

        const container = new docker.Container(
            // Named like the component: the container is the database.
            name,
            {
                name: pulumi.interpolate`${args.namePrefix}-db`,
                image: image.imageId,
                hostname: "db",
                user: runAs,
                command: ["postgres", "-c", `config_file=${CONF_DIR}/${PG_FILES.conf}`],
                envs: [
                    `POSTGRES_DB=${s.dbName}`,
                    // The bootstrap superuser: only the image's init scripts and an operator use it.
                    "POSTGRES_USER=postgres",
                    // A file, not the value: `docker inspect` shows every env var.
                    `POSTGRES_PASSWORD_FILE=${CONF_DIR}/${PG_FILES.superuserPassword}`,
                    `PGDATA=${DATA_DIR}/pgdata`,
                ],
                volumes: [
                    { volumeName: data.name, containerPath: DATA_DIR },
                    { volumeName: config.volumeName, containerPath: CONF_DIR, readOnly: true },
                    { volumeName: initdb.volumeName, containerPath: INITDB_DIR, readOnly: true },
                ],
                readOnly: true,
                // Docker's tmpfs is root-owned unless told otherwise; the server runs as runAs.
                tmpfs: {
                    "/var/run/postgresql": `rw,noexec,nosuid,size=1m,uid=${runAs.split(":")[0]},gid=${runAs.split(":")[1]},mode=0700`,
                    "/tmp": "rw,noexec,nosuid,size=16m,mode=1777",
                },
                networksAdvanced: [{ name: args.dataNetworkName, aliases: [DB_HOST] }],
                healthcheck: {
                    tests: ["CMD-SHELL", 'pg_isready -U "$POSTGRES_USER" -d "$POSTGRES_DB"'],
                    interval: "10s",
                    timeout: "5s",
                    retries: 5,
                    startPeriod: "30s",
                },
                wait: true,
                waitTimeout: 180,
                ...hardened({ memoryMb: memoryMb(s.dbMemory)!, cpus: s.dbCpus }),
                ...BOUNDED_RESTART,
                labels: [
                    ...labels,
                    { label: "nestflux.files-revision", value: pulumi.interpolate`${config.revision},${initdb.revision}` },
                ],
                destroyGraceSeconds: 30,
            },
            { parent: this, deleteBeforeReplace: true },
        );

        this.appPassword = pulumi.secret(appPassword);
        this.ownerPassword = pulumi.secret(ownerPassword);
        this.host = pulumi.output(DB_HOST);
        this.port = pulumi.output(DB_PORT);
        this.containerName = container.name;
        this.volumeName = data.name;
        this.registerOutputs({ host: this.host, port: this.port, containerName: this.containerName, volumeName: this.volumeName });
    }

    /** The rendered configuration, keys and passwords, and the init script that creates the roles. */
    private files(
        name: string,
        args: PostgresArgs,
        s: DbComponentSettings,
        image: docker.RemoteImage,
        runAs: string,
        passwords: { superuserPassword: pulumi.Output<string>; ownerPassword: pulumi.Output<string>; appPassword: pulumi.Output<string> },
    ): { config: ServiceFiles; initdb: ServiceFiles } {
        const { superuserPassword, ownerPassword, appPassword } = passwords;
        const appRole = s.dbUser;
        const ownerRole = dbOwnerRole(s.dbUser);
        const conf = renderPostgresConf({
            port: DB_PORT,
            listenAddresses: "*",
            certificatePath: `${CONF_DIR}/${PG_FILES.certificate}`,
            keyPath: `${CONF_DIR}/${PG_FILES.key}`,
            caPath: `${CONF_DIR}/${PG_FILES.ca}`,
            hbaPath: `${CONF_DIR}/${PG_FILES.hba}`,
            dbTlsMinVersion: s.dbTlsMinVersion as TlsVersion,
        });
        const hba = pulumi
            .output(args.clientCidr)
            .apply((clientCidr) =>
                renderPgHba({ clientCidr, dbClientCerts: s.dbClientCerts, users: [appRole, ownerRole] }),
            );
        const config = new ServiceFiles(
            `${name}-config`,
            {
                name: pulumi.interpolate`${args.namePrefix}-db-config`,
                image: image.imageId,
                owner: runAs,
                files: [
                    { name: PG_FILES.conf, content: conf },
                    { name: PG_FILES.hba, content: hba },
                    { name: PG_FILES.certificate, content: args.certificatePem },
                    { name: PG_FILES.ca, content: args.caCertificatePem },
                    // PostgreSQL refuses a key that others can read or that it does not own.
                    { name: PG_FILES.key, content: args.privateKeyPem, secret: true, mode: "0600" },
                    { name: PG_FILES.superuserPassword, content: superuserPassword, secret: true },
                    { name: PG_FILES.ownerPassword, content: ownerPassword, secret: true },
                    { name: PG_FILES.appPassword, content: appPassword, secret: true },
                ],
                labels: args.labels,
            },
            { parent: this },
        );
        const initdb = new ServiceFiles(
            `${name}-initdb`,
            {
                name: pulumi.interpolate`${args.namePrefix}-db-initdb`,
                image: image.imageId,
                owner: runAs,
                files: [
                    {
                        name: "10-roles.sh",
                        content: renderRolesScript({ database: s.dbName, ownerRole, appRole, passwordDir: CONF_DIR }),
                        mode: "0555",
                    },
                ],
                labels: args.labels,
            },
            { parent: this },
        );
        return { config, initdb };
    }
}
