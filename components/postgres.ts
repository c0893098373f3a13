import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BOUNDED_RESTART, hardened } from "./hardening";
import { toLabels } from "./labels";
import { DB_HOST, DB_PORT } from "./names";
import { PG_FILES, renderBackupScript, renderPgHba, renderPostgresConf, renderRolesScript, TlsVersion } from "./render/postgres";
import { ServiceFile, ServiceFiles } from "./service-files";
import { componentSettings, DB_KEYS, DbComponentSettings, memoryMb } from "./settings";

/** The role that owns the schema and runs migrations, next to the application's data-only role `dbUser`. */
export function dbOwnerRole(dbUser: string): string {
    return `${dbUser}_owner`;
}

/** The read-only role backups log in as. */
export function dbDumpRole(dbUser: string): string {
    return `${dbUser}_dump`;
}

/**
 * `dbImage`, `dbName`, `dbUser` (the API's data-only role; `<dbUser>_owner` owns the schema),
 * `dbTlsMinVersion`, `dbClientCerts`, `dbMemory`, `dbCpus` and the backup settings
 * (`backupIntervalMinutes`, `backupRetentionDays`, `backupRecipientCertificate`) are the stack
 * settings of the same names, with their defaults (components/settings.ts).
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
    /** The backup role's client certificate, when dbClientCerts is on and backups run (CN = <dbUser>_dump). */
    dumpClientTls?: { certificatePem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> };
    /** uid:gid of the `postgres` user in the image. Default: "999:999" (the official Debian-based image). */
    runAs?: string;
    /** Labels for the containers and volumes. */
    labels?: Record<string, pulumi.Input<string>>;
}

const CONF_DIR = "/etc/nestflux";
const INITDB_DIR = "/docker-entrypoint-initdb.d";
const DATA_DIR = "/var/lib/postgresql/data";
const BACKUP_CONF_DIR = "/etc/nestflux-backup";
/** The postgres user's home in the image: owned by uid 999, so a new volume there is too. */
export const BACKUP_DIR = "/var/lib/postgresql";

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
    /** The backup container, when backupIntervalMinutes is above 0. */
    public readonly backupContainerName?: pulumi.Output<string>;

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
        const dumpPassword = newPassword("dump");

        const image = new docker.RemoteImage(`${name}-image`, { name: s.dbImage, keepLocally: true }, { parent: this });
        const data = new docker.Volume(
            `${name}-data`,
            { name: pulumi.interpolate`${args.namePrefix}-pgdata`, labels },
            // Data outlives a replacement of anything else; deleting it takes an explicit destroy.
            { parent: this, retainOnDelete: true },
        );

        const { config, initdb } = this.files(name, args, s, image, runAs, { superuserPassword, ownerPassword, appPassword, dumpPassword });

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
                    // What the restore command needs to know.
                    { label: "nestflux.db-name", value: s.dbName },
                    { label: "nestflux.db-owner", value: dbOwnerRole(s.dbUser) },
                ],
                destroyGraceSeconds: 30,
            },
            { parent: this, deleteBeforeReplace: true },
        );
        const backup = s.backupIntervalMinutes > 0 ? this.backups(name, args, s, image, runAs, dumpPassword, container) : undefined;

        this.appPassword = pulumi.secret(appPassword);
        this.ownerPassword = pulumi.secret(ownerPassword);
        this.host = pulumi.output(DB_HOST);
        this.port = pulumi.output(DB_PORT);
        this.containerName = container.name;
        this.volumeName = data.name;
        this.backupContainerName = backup?.name;
        this.registerOutputs({ host: this.host, port: this.port, containerName: this.containerName, volumeName: this.volumeName });
    }

    /** The rendered configuration, keys and passwords, and the init script that creates the roles. */
    private files(
        name: string,
        args: PostgresArgs,
        s: DbComponentSettings,
        image: docker.RemoteImage,
        runAs: string,
        passwords: { superuserPassword: pulumi.Output<string>; ownerPassword: pulumi.Output<string>; appPassword: pulumi.Output<string>; dumpPassword: pulumi.Output<string> },
    ): { config: ServiceFiles; initdb: ServiceFiles } {
        const { superuserPassword, ownerPassword, appPassword, dumpPassword } = passwords;
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
                renderPgHba({
                    clientCidr,
                    dbClientCerts: s.dbClientCerts,
                    // The backup role comes in over the network only when backups run.
                    users: [appRole, ownerRole, ...(s.backupIntervalMinutes > 0 ? [dbDumpRole(s.dbUser)] : [])],
                }),
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
                    { name: PG_FILES.dumpPassword, content: dumpPassword, secret: true },
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
                        content: renderRolesScript({ database: s.dbName, ownerRole, appRole, dumpRole: dbDumpRole(s.dbUser), passwordDir: CONF_DIR }),
                        mode: "0555",
                    },
                ],
                labels: args.labels,
            },
            { parent: this },
        );
        return { config, initdb };
    }

    /**
     * The backup container: the server's own image (its pg_dump matches the server), the backup
     * role only, on the data network, read-only root; the backups go to a volume of their own
     * that outlives everything, at the postgres user's home (the image makes it uid 999's, and a
     * new volume takes that owner).
     */
    private backups(
        name: string,
        args: PostgresArgs,
        s: DbComponentSettings,
        image: docker.RemoteImage,
        runAs: string,
        dumpPassword: pulumi.Output<string>,
        server: docker.Container,
    ) {
        const role = dbDumpRole(s.dbUser);
        const files: ServiceFile[] = [
            {
                name: "backup.sh",
                content: renderBackupScript({
                    host: DB_HOST,
                    port: DB_PORT,
                    database: s.dbName,
                    role,
                    caPath: `${BACKUP_CONF_DIR}/db-ca.crt`,
                    clientCertPath: args.dumpClientTls ? `${BACKUP_CONF_DIR}/client.crt` : undefined,
                    clientKeyPath: args.dumpClientTls ? `${BACKUP_CONF_DIR}/client.key` : undefined,
                    recipientPath: `${BACKUP_CONF_DIR}/recipient.crt`,
                    backupDir: BACKUP_DIR,
                    intervalMinutes: s.backupIntervalMinutes,
                    retentionDays: s.backupRetentionDays,
                }),
                mode: "0555",
            },
            { name: "db-ca.crt", content: args.caCertificatePem },
            { name: "recipient.crt", content: `${s.backupRecipientCertificate.trim()}\n` },
            // libpq's password file: host:port:database:user:password, 0600 or it is ignored.
            { name: "pgpass", content: pulumi.interpolate`${DB_HOST}:${DB_PORT}:${s.dbName}:${role}:${dumpPassword}\n`, secret: true, mode: "0600" },
        ];
        if (args.dumpClientTls) {
            files.push(
                { name: "client.crt", content: args.dumpClientTls.certificatePem },
                { name: "client.key", content: args.dumpClientTls.privateKeyPem, secret: true, mode: "0600" },
            );
        }
        const seeded = new ServiceFiles(
            `${name}-backup-files`,
            { name: pulumi.interpolate`${args.namePrefix}-db-backup-files`, image: image.imageId, owner: runAs, files, labels: args.labels },
            { parent: this },
        );
        const store = new docker.Volume(
            `${name}-backups`,
            { name: pulumi.interpolate`${args.namePrefix}-backups`, labels: toLabels(args.labels) },
            { parent: this, retainOnDelete: true },
        );
        return new docker.Container(
            `${name}-backup`,
            {
                name: pulumi.interpolate`${args.namePrefix}-backup`,
                image: image.imageId,
                hostname: "backup",
                user: runAs,
                entrypoints: ["bash", `${BACKUP_CONF_DIR}/backup.sh`],
                command: ["loop"],
                envs: [`PGPASSFILE=${BACKUP_CONF_DIR}/pgpass`],
                volumes: [
                    { volumeName: seeded.volumeName, containerPath: BACKUP_CONF_DIR, readOnly: true },
                    { volumeName: store.name, containerPath: BACKUP_DIR },
                ],
                networksAdvanced: [{ name: args.dataNetworkName }],
                readOnly: true,
                tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m,mode=1777" },
                // Healthy once a backup succeeded, and while the last one is recent: the first
                // backup runs at start, so a deploy proves that backups work.
                healthcheck: {
                    tests: ["CMD", "bash", `${BACKUP_CONF_DIR}/backup.sh`, "fresh"],
                    interval: "30s",
                    timeout: "5s",
                    retries: 3,
                    startPeriod: "60s",
                },
                wait: true,
                waitTimeout: 180,
                ...hardened({ memoryMb: 256, cpus: "0.5" }),
                ...BOUNDED_RESTART,
                labels: [...toLabels(args.labels), { label: "nestflux.files-revision", value: seeded.revision }],
            },
            // After the server is healthy, so the first backup finds it.
            { parent: this, deleteBeforeReplace: true, dependsOn: [server] },
        );
    }
}
