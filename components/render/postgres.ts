/**
 * PostgreSQL renderers: postgresql.conf, pg_hba.conf and the container's start script.
 * Pure functions; the container and the integration tier render from the same code.
 */

export type TlsVersion = "TLSv1.2" | "TLSv1.3";

export interface PostgresConfInput {
    port: number;
    /** listen_addresses value: '*' in the container, 127.0.0.1 in tests. */
    listenAddresses: string;
    certificatePath: string;
    keyPath: string;
    /** CA used to verify client certificates. */
    caPath: string;
    hbaPath: string;
    tlsMinVersion: TlsVersion;
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
        `ssl_min_protocol_version = '${input.tlsMinVersion}'`,
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
    clientCertificates: boolean;
}

export function renderPgHba(input: PgHbaInput): string {
    const address = input.clientCidr ?? "samenet";
    const method = input.clientCertificates ? "scram-sha-256 clientcert=verify-full" : "scram-sha-256";
    return [
        "# TYPE     DATABASE  USER  ADDRESS    METHOD",
        // The image's init scripts and pg_isready talk over the container-local socket.
        "local      all       all              scram-sha-256",
        // Plaintext TCP is refused first, whatever the address.
        "hostnossl  all       all   0.0.0.0/0  reject",
        "hostnossl  all       all   ::/0       reject",
        `hostssl    all       all   ${address}  ${method}`,
        "",
    ].join("\n");
}

export interface PostgresEntrypointInput {
    /** Where the uploaded (root-owned) TLS files and password are. */
    sourceDir: string;
    /** Where the server reads them from, owned by `owner`, key mode 0600. */
    targetDir: string;
    /** The OS user PostgreSQL runs as. */
    owner: string;
    /** The command to hand over to (exec), already quoted for sh. */
    exec: string;
}

/** File names shared by the uploader (postgres.ts) and the script. */
export const PG_TLS_FILES = { certificate: "server.crt", key: "server.key", ca: "ca.crt", password: "password" } as const;

/**
 * The container's command. Uploads land root-owned, and PostgreSQL refuses a key that the server
 * user does not own or that others can read, so the key is copied to a directory of its own with
 * the right owner and mode before the server starts: nothing is loosened to make it readable.
 */
export function renderPostgresEntrypoint(input: PostgresEntrypointInput): string {
    const f = PG_TLS_FILES;
    return [
        "#!/bin/sh",
        "set -eu",
        "umask 077",
        `install -d -m 0700 -o ${input.owner} -g ${input.owner} ${input.targetDir}`,
        `install -m 0644 -o ${input.owner} -g ${input.owner} ${input.sourceDir}/${f.certificate} ${input.targetDir}/${f.certificate}`,
        `install -m 0644 -o ${input.owner} -g ${input.owner} ${input.sourceDir}/${f.ca} ${input.targetDir}/${f.ca}`,
        `install -m 0600 -o ${input.owner} -g ${input.owner} ${input.sourceDir}/${f.key} ${input.targetDir}/${f.key}`,
        `exec ${input.exec}`,
        "",
    ].join("\n");
}
