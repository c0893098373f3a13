import * as fs from "fs";
import * as path from "path";
import { renderSeedScript } from "../../../components/render/files";
import { PG_FILES, renderPgHba, renderPostgresConf, TlsVersion } from "../../../components/render/postgres";
import type { KeyPair } from "../../support/certs";
import { PG_BIN } from "./requirements";
import { Server, freePort, run, tempDir, waitFor } from "./process";

export interface PgOptions {
    ca: KeyPair;
    server: KeyPair;
    database: string;
    user: string;
    password: string;
    dbClientCerts?: boolean;
    dbTlsMinVersion?: TlsVersion;
}

export interface PgInstance {
    port: number;
    dir: string;
    server: Server;
    stop(): Promise<void>;
}

/**
 * A real PostgreSQL 15 started the way the container starts it: the rendered postgresql.conf and
 * pg_hba.conf, and the TLS files put in place by the rendered seeding script that the stack's
 * seeding container runs (root-owned uploads → postgres-owned, key 0600). Only paths, port and
 * addresses differ.
 */
export async function startPostgres(opts: PgOptions): Promise<PgInstance> {
    const dir = tempDir("pg");
    const port = await freePort();
    const target = path.join(dir, "tls");
    const data = path.join(dir, "data");
    fs.mkdirSync(target, { mode: 0o755 });
    // As the upload leaves them: root-owned, the key 0600 (unreadable to postgres).
    fs.writeFileSync(path.join(target, PG_FILES.certificate), opts.server.certPem, { mode: 0o644 });
    fs.writeFileSync(path.join(target, PG_FILES.ca), opts.ca.certPem, { mode: 0o644 });
    fs.writeFileSync(path.join(target, PG_FILES.key), opts.server.keyPem, { mode: 0o600 });
    fs.writeFileSync(path.join(target, "stale-from-an-earlier-set"), "x");
    const owner = `${run("id", ["-u", "postgres"]).stdout.trim()}:${run("id", ["-g", "postgres"]).stdout.trim()}`;
    const seed = path.join(dir, "seed.sh");
    fs.writeFileSync(
        seed,
        renderSeedScript({
            dir: target,
            files: [
                { name: PG_FILES.certificate, owner, mode: "0444" },
                { name: PG_FILES.ca, owner, mode: "0444" },
                { name: PG_FILES.key, owner, mode: "0600" },
            ],
        }),
    );
    const seeded = run("sh", [seed]);
    if (seeded.code !== 0) throw new Error(`seeding script failed: ${seeded.stderr}`);

    const pwFile = path.join(dir, "pwfile");
    fs.writeFileSync(pwFile, opts.password, { mode: 0o600 });
    run("chown", ["postgres:postgres", pwFile]);
    fs.mkdirSync(data, { mode: 0o700 });
    run("chown", ["postgres:postgres", data, dir]);
    const init = run("runuser", ["-u", "postgres", "--", `${PG_BIN}/initdb`, "-D", data, "-U", opts.user, `--pwfile=${pwFile}`, "--auth=scram-sha-256", "-E", "UTF8"], {
        timeoutMs: 120000,
    });
    if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}${init.stdout}`);

    const confPath = path.join(dir, "postgresql.conf");
    const hbaPath = path.join(dir, "pg_hba.conf");
    fs.writeFileSync(
        confPath,
        renderPostgresConf({
            port,
            listenAddresses: "127.0.0.1",
            certificatePath: path.join(target, PG_FILES.certificate),
            keyPath: path.join(target, PG_FILES.key),
            caPath: path.join(target, PG_FILES.ca),
            hbaPath,
            dbTlsMinVersion: opts.dbTlsMinVersion ?? "TLSv1.2",
            socketDirectory: dir,
        }),
    );
    fs.writeFileSync(hbaPath, renderPgHba({ clientCidr: "127.0.0.1/32", dbClientCerts: opts.dbClientCerts ?? false }));
    const server = new Server("postgres", "runuser", ["-u", "postgres", "--", `${PG_BIN}/postgres`, "-D", data, "-c", `config_file=${confPath}`]);
    await waitFor(
        "PostgreSQL to accept connections",
        () => run(`${PG_BIN}/pg_isready`, ["-h", "127.0.0.1", "-p", String(port)]).code === 0,
        () => server.logs(),
        60000,
    );
    // Create the database the API uses (initdb only makes postgres/template*), over the local
    // socket, the path the image's init scripts take too.
    const create = run("psql", ["-X", "-h", dir, "-p", String(port), "-U", opts.user, "-d", "postgres", "-c", `CREATE DATABASE ${opts.database}`], {
        env: { ...process.env, PGPASSWORD: opts.password },
    });
    if (create.code !== 0) throw new Error(`CREATE DATABASE failed: ${create.stderr}\n${server.logs()}`);

    return {
        port,
        dir,
        server,
        stop: async () => {
            await server.stop("SIGINT");
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

export interface PsqlLogin {
    user: string;
    password: string;
    database: string;
    /** Extra libpq keywords, e.g. sslmode, ssl_max_protocol_version, sslcert. */
    params?: Record<string, string>;
    /** Name to verify (defaults to localhost); the socket always goes to 127.0.0.1. */
    host?: string;
}

/** Run one statement with the real psql over TCP, verify-full unless params say otherwise. */
export function psql(port: number, caPath: string, login: PsqlLogin, sql: string) {
    const params: Record<string, string> = {
        host: login.host ?? "localhost",
        hostaddr: "127.0.0.1",
        port: String(port),
        dbname: login.database,
        user: login.user,
        sslmode: "verify-full",
        sslrootcert: caPath,
        connect_timeout: "10",
        ...login.params,
    };
    const conninfo = Object.entries(params)
        .map(([k, v]) => `${k}='${v.replace(/'/g, "\\'")}'`)
        .join(" ");
    return run("psql", ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql, conninfo], {
        env: { ...process.env, PGPASSWORD: login.password, PGSSLCERT: "/nonexistent", PGSSLKEY: "/nonexistent" },
    });
}
