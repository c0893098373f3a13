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
    dumpPassword: "dump_password",
} as const;

export interface RolesInput {
    database: string;
    /** Owns the database and its schema; migrations log in as it. */
    ownerRole: string;
    /** What the application logs in as: data in the schema, nothing else. */
    appRole: string;
    /** What backups log in as: reads every table (pg_read_all_data), writes nothing. */
    dumpRole: string;
    /** Directory holding the roles' password files. */
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
    for (const [field, v] of Object.entries({ database: input.database, ownerRole: input.ownerRole, appRole: input.appRole, dumpRole: input.dumpRole })) {
        if (!SQL_IDENT.test(v)) throw new Error(`renderRolesScript: ${field} must be a lower-case SQL identifier, got ${JSON.stringify(v)}`);
    }
    if (input.ownerRole === input.appRole) throw new Error("renderRolesScript: ownerRole and appRole must differ");
    const { database: db, ownerRole: owner, appRole: app, dumpRole: dump } = input;
    const limits = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT";
    return [
        "#!/bin/sh",
        "set -eu",
        `psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname ${db} <<'SQL'`,
        `\\set owner_password \`cat ${input.passwordDir}/${PG_FILES.ownerPassword}\``,
        `\\set app_password \`cat ${input.passwordDir}/${PG_FILES.appPassword}\``,
        `\\set dump_password \`cat ${input.passwordDir}/${PG_FILES.dumpPassword}\``,
        `CREATE ROLE ${owner} LOGIN ${limits} PASSWORD :'owner_password';`,
        `CREATE ROLE ${app} LOGIN ${limits} PASSWORD :'app_password';`,
        // Backups: reads everything (pg_read_all_data, which needs INHERIT), writes nothing.
        `CREATE ROLE ${dump} LOGIN ${limits.replace("NOINHERIT", "INHERIT")} PASSWORD :'dump_password';`,
        `GRANT pg_read_all_data TO ${dump};`,
        `ALTER DATABASE ${db} OWNER TO ${owner};`,
        `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
        `GRANT CONNECT ON DATABASE ${db} TO ${app}, ${dump};`,
        `ALTER SCHEMA public OWNER TO ${owner};`,
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
        `GRANT USAGE ON SCHEMA public TO ${app};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app};`,
        "SQL",
        "",
    ].join("\n");
}

export interface BackupScriptInput {
    /** Host, port and database to dump; the server is verified against `caPath` and its name. */
    host: string;
    port: number;
    database: string;
    /** The read-only backup role. */
    role: string;
    caPath: string;
    /** Client certificate and key when the server requires them (clientcert=verify-full). */
    clientCertPath?: string;
    clientKeyPath?: string;
    /** X.509 certificate whose public key every backup is encrypted to (CMS, AES-256). */
    recipientPath: string;
    /** Where backups, their checksums and last-success.json go. */
    backupDir: string;
    intervalMinutes: number;
    retentionDays: number;
}

/**
 * The backup container's script: `once` takes one backup, `loop` one every interval. A backup is
 * pg_dump's custom format piped into `openssl cms -encrypt` to the recipient's public key, so the
 * volume alone reveals nothing and the stack never holds the decryption key; it lands under its
 * final name only when both steps succeeded, with a sha256 beside it. Then backups older than the
 * retention are deleted, and last-success.json and a JSON log line tell when and how big.
 */
export function renderBackupScript(input: BackupScriptInput): string {
    for (const [field, v] of Object.entries({ database: input.database, role: input.role })) {
        if (!SQL_IDENT.test(v)) throw new Error(`renderBackupScript: ${field} must be a lower-case SQL identifier, got ${JSON.stringify(v)}`);
    }
    if (!Number.isInteger(input.intervalMinutes) || input.intervalMinutes < 1) throw new Error("renderBackupScript: intervalMinutes must be at least 1");
    if (!Number.isInteger(input.retentionDays) || input.retentionDays < 1) throw new Error("renderBackupScript: retentionDays must be at least 1");
    const tls = [`sslmode=verify-full`, `sslrootcert=${input.caPath}`];
    if (input.clientCertPath && input.clientKeyPath) tls.push(`sslcert=${input.clientCertPath}`, `sslkey=${input.clientKeyPath}`);
    const conn = `host=${input.host} port=${input.port} dbname=${input.database} user=${input.role} ${tls.join(" ")}`;
    const dir = input.backupDir;
    return [
        "#!/bin/bash",
        "set -euo pipefail",
        "umask 077",
        `DIR=${dir}`,
        `CONN='${conn}'`,
        `RETENTION_MINUTES=${input.retentionDays * 24 * 60}`,
        `INTERVAL_SECONDS=${input.intervalMinutes * 60}`,
        "",
        "log() { # level event [extra JSON fields]",
        `    printf '{"timestamp":"%s","level":"%s","type":"backup","event":"%s"%s}\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "\${3:-}"`,
        "}",
        "",
        // Every step is checked by hand: bash ignores `set -e` in a function called from `if`.
        "once() {",
        '    local ts name tmp sha bytes',
        '    ts=$(date -u +%Y%m%dT%H%M%SZ)',
        '    name="nestflux-$ts.dump.cms"',
        // Leftovers of a run that was killed midway never look like backups; drop the old ones.
        '    find "$DIR" -maxdepth 1 -type f -name ".partial-*" -mmin +60 -delete || true',
        '    tmp=$(mktemp "$DIR/.partial-XXXXXX") || { log error backup_failed ",\\"security\\":true,\\"step\\":\\"mktemp\\""; return 1; }',
        // -stream: CMS output as it is produced, so memory does not grow with the database.
        `    if pg_dump --format=custom --no-password --dbname="$CONN" | openssl cms -encrypt -stream -binary -aes256 -outform DER -out "$tmp" ${input.recipientPath} &&`,
        '        sha=$(sha256sum "$tmp" | cut -d" " -f1) &&',
        // The checksum first, then the backup under its final name: a backup never lacks its sha256.
        '        printf "%s  %s\\n" "$sha" "$name" > "$DIR/$name.sha256" &&',
        '        mv "$tmp" "$DIR/$name" &&',
        '        bytes=$(stat -c %s "$DIR/$name") &&',
        `        printf '{"time":"%s","file":"%s","bytes":%s,"sha256":"%s"}\\n' "$ts" "$name" "$bytes" "$sha" > "$DIR/last-success.json"; then`,
        '        log info backup_succeeded ",\\"file\\":\\"$name\\",\\"bytes\\":$bytes"',
        "    else",
        '        rm -f "$tmp" "$DIR/$name.sha256"',
        // A failed backup is a security-relevant event: recovery depends on it.
        '        log error backup_failed ",\\"security\\":true"',
        "        return 1",
        "    fi",
        '    find "$DIR" -maxdepth 1 -type f -name "nestflux-*.dump.cms*" -mmin +"$RETENTION_MINUTES" -print -delete | while read -r f; do log info backup_expired ",\\"file\\":\\"$(basename "$f")\\""; done',
        "}",
        "",
        'case "${1:-loop}" in',
        "    once) once ;;",
        // Healthy while the last success is younger than two intervals (and five minutes).
        '    fresh) test -f "$DIR/last-success.json" && test $(( $(date +%s) - $(stat -c %Y "$DIR/last-success.json") )) -lt $(( 2 * INTERVAL_SECONDS + 300 )) ;;',
        // A failed backup is retried after a minute, not after a whole interval.
        '    loop) while true; do if once; then sleep "$INTERVAL_SECONDS"; else sleep 60; fi; done ;;',
        '    *) echo "usage: $0 once|loop|fresh" >&2; exit 2 ;;',
        "esac",
        "",
    ].join("\n");
}
