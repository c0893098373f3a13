/**
 * PostgreSQL renderers: postgresql.conf, pg_hba.conf and the container's start script.
 * Pure functions; the container and the integration tier render from the same code.
 */

export type TlsVersion = "TLSv1.2" | "TLSv1.3";

/** A role or database name the renderers interpolate: a plain lower-case SQL identifier. */
const SQL_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresConfInput {
    port: number;
    /** listen_addresses value: '*' in the container, 127.0.0.1 in tests. */
    listenAddresses: string;
    certificatePath: string;
    keyPath: string;
    /** CA used to verify client certificates. */
    caPath: string;
    hbaPath: string;
    dbTlsMinVersion: TlsVersion;
    /** Unix socket directory; omit to keep the server's default. */
    socketDirectory?: string;
}

export function renderPostgresConf(input: PostgresConfInput): string {
    return [
        `listen_addresses = '${input.listenAddresses}'`,
        `port = ${input.port}`,
        ...(input.socketDirectory ? [`unix_socket_directories = '${input.socketDirectory}'`] : []),
        `hba_file = '${input.hbaPath}'`,
        "max_connections = 100",
        "",
        "ssl = on",
        `ssl_cert_file = '${input.certificatePath}'`,
        `ssl_key_file = '${input.keyPath}'`,
        `ssl_ca_file = '${input.caPath}'`,
        `ssl_min_protocol_version = '${input.dbTlsMinVersion}'`,
        "ssl_ciphers = 'HIGH:!aNULL:!MD5:!SHA1'",
        "ssl_prefer_server_ciphers = on",
        "",
        "password_encryption = scram-sha-256",
        "",
        "log_destination = 'stderr'",
        "log_connections = on",
        "log_disconnections = on",
        "log_line_prefix = '%m [%p] %q%u@%d from %h '",
        "",
    ].join("\n");
}

export interface PgHbaInput {
    /** Client network in CIDR form; omit for `samenet` (every subnet the server is attached to). */
    clientCidr?: string;
    /** Require a client certificate whose CN is the database user. */
    dbClientCerts: boolean;
    /**
     * Roles that may log in over the network; omit for all. The stack lists its two login roles,
     * so the bootstrap superuser is reachable over the local socket only.
     */
    users?: string[];
}

export function renderPgHba(input: PgHbaInput): string {
    for (const u of input.users ?? []) {
        if (!SQL_IDENT.test(u)) throw new Error(`renderPgHba: users must be lower-case SQL identifiers, got ${JSON.stringify(u)}`);
    }
    if (input.users?.length === 0) throw new Error("renderPgHba: users, when given, must name at least one role");
    const users = input.users ? input.users.join(",") : "all";
    const address = input.clientCidr ?? "samenet";
    const method = input.dbClientCerts ? "scram-sha-256 clientcert=verify-full" : "scram-sha-256";
    return [
        "# TYPE     DATABASE  USER  ADDRESS    METHOD",
        // The image's init scripts and pg_isready talk over the container-local socket.
        "local      all       all              scram-sha-256",
        // Plaintext TCP is refused first, whatever the address.
        "hostnossl  all       all   0.0.0.0/0  reject",
        "hostnossl  all       all   ::/0       reject",
        `hostssl    all       ${users}  ${address}  ${method}`,
        "",
    ].join("\n");
}

/** File names shared by the component, the seeding script and the integration tier. */
export const PG_FILES = {
    conf: "postgresql.conf",
    hba: "pg_hba.conf",
    certificate: "server.crt",
    key: "server.key",
    ca: "ca.crt",
    superuserPassword: "superuser_password",
    ownerPassword: "owner_password",
    appPassword: "app_password",
} as const;

export interface RolesInput {
    database: string;
    /** Owns the database and its schema; migrations log in as it. */
    ownerRole: string;
    /** What the application logs in as: data in the schema, nothing else. */
    appRole: string;
    /** Directory holding the owner's and the application's password files. */
    passwordDir: string;
}

/**
 * An init script for /docker-entrypoint-initdb.d (run once, on an empty data directory, by the
 * image's entrypoint as the bootstrap superuser over the local socket). It creates the two login
 * roles the stack uses, so the API never holds a superuser's password: the owner runs schema
 * changes, the application role gets only SELECT/INSERT/UPDATE/DELETE on what the owner creates.
 * Passwords are read by psql from files (`\set … \`cat …\``), so they never appear in a
 * command line or in the rendered text.
 */
export function renderRolesScript(input: RolesInput): string {
    for (const [field, v] of Object.entries({ database: input.database, ownerRole: input.ownerRole, appRole: input.appRole })) {
        if (!SQL_IDENT.test(v)) throw new Error(`renderRolesScript: ${field} must be a lower-case SQL identifier, got ${JSON.stringify(v)}`);
    }
    if (input.ownerRole === input.appRole) throw new Error("renderRolesScript: ownerRole and appRole must differ");
    const { database: db, ownerRole: owner, appRole: app } = input;
    const limits = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT";
    return [
        "#!/bin/sh",
        "set -eu",
        `psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname ${db} <<'SQL'`,
        `\\set owner_password \`cat ${input.passwordDir}/${PG_FILES.ownerPassword}\``,
        `\\set app_password \`cat ${input.passwordDir}/${PG_FILES.appPassword}\``,
        `CREATE ROLE ${owner} LOGIN ${limits} PASSWORD :'owner_password';`,
        `CREATE ROLE ${app} LOGIN ${limits} PASSWORD :'app_password';`,
        `ALTER DATABASE ${db} OWNER TO ${owner};`,
        `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
        `GRANT CONNECT ON DATABASE ${db} TO ${app};`,
        `ALTER SCHEMA public OWNER TO ${owner};`,
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
        `GRANT USAGE ON SCHEMA public TO ${app};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app};`,
        "SQL",
        "",
    ].join("\n");
}
