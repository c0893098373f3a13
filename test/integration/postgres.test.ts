import * as fs from "fs";
import * as path from "path";
import { DB_HOST } from "../../components/names";
import { KeyPair, issueLeaf, makeCa } from "../support/certs";
import { PgInstance, psql, startPostgres } from "./harness/postgres";
import { dbServerCert } from "./harness/stack";
import { Server, run, tempDir, waitFor } from "./harness/process";
import { describeIntegration } from "./harness/requirements";

jest.setTimeout(120000);

/** The server writes its log asynchronously: wait for the line rather than race it. */
async function expectLog(server: Server, pattern: RegExp): Promise<void> {
    await waitFor(`server log to match ${pattern}`, () => pattern.test(server.logs()), () => server.logs(), 5000);
}

const login = { user: "nestflux", password: "integration-only-password-0123456789", database: "nestflux" };

describeIntegration("PostgreSQL with the rendered TLS config", () => {
    let dir: string;
    let ca: KeyPair;
    let pg: PgInstance;
    let pgClientCerts: PgInstance;
    let client: KeyPair;

    beforeAll(async () => {
        dir = tempDir("pgcerts");
        ca = makeCa(dir);
        const server = dbServerCert(dir, ca);
        client = issueLeaf(dir, "client", ca, { commonName: login.user, usage: "client" });
        pg = await startPostgres({ ca, server, ...login });
        pgClientCerts = await startPostgres({ ca, server, ...login, dbClientCerts: true });
    });
    afterAll(async () => {
        await pg?.stop();
        await pgClientCerts?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test("the seeding script left the key owned by postgres with mode 0600, and removed a stale file", () => {
        const st = fs.statSync(path.join(pg.dir, "tls", "server.key"));
        expect((st.mode & 0o777).toString(8)).toBe("600");
        expect(run("stat", ["-c", "%U", path.join(pg.dir, "tls", "server.key")]).stdout.trim()).toBe("postgres");
        expect(fs.readdirSync(path.join(pg.dir, "tls")).sort()).toEqual(["ca.crt", "server.crt", "server.key"]);
    });

    test("verify-full with our CA connects over TLS 1.2+, dialing the stack's DB host name", () => {
        const r = psql(pg.port, ca.certPath, { ...login, host: DB_HOST }, "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        expect(r.stderr).toBe("");
        expect(r.stdout.trim()).toMatch(/^TLSv1\.[23]$/);
    });

    test("verify-full refuses a server whose certificate lacks the dialed name", () => {
        const r = psql(pg.port, ca.certPath, { ...login, host: "other.nestflux.internal" }, "SELECT 1");
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/does not match host name|server certificate/);
    });

    test("verify-full refuses a server signed by another CA", () => {
        const other = makeCa(dir, "other-ca");
        const r = psql(pg.port, other.certPath, login, "SELECT 1");
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/certificate verify failed/);
    });

    test("a plaintext connection is refused by pg_hba", () => {
        const r = psql(pg.port, ca.certPath, { ...login, params: { sslmode: "disable" } }, "SELECT 1");
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/pg_hba\.conf rejects connection.*no encryption/);
    });

    test("a TLS 1.1 client is refused", async () => {
        const r = psql(pg.port, ca.certPath, { ...login, params: { ssl_min_protocol_version: "TLSv1.1", ssl_max_protocol_version: "TLSv1.1" } }, "SELECT 1");
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/protocol version|no protocols available|unsupported protocol/i);
        await expectLog(pg.server, /could not accept SSL connection: (unsupported protocol|.*protocol version)/i);
    });

    test("a wrong password is refused and the attempt is logged", async () => {
        const r = psql(pg.port, ca.certPath, { ...login, password: "wrong" }, "SELECT 1");
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/password authentication failed/);
        await expectLog(pg.server, /connection received: host=127\.0\.0\.1/);
        await expectLog(pg.server, /password authentication failed for user "nestflux"/);
    });

    test("passwords are stored as SCRAM-SHA-256", () => {
        const r = psql(pg.port, ca.certPath, login, "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'nestflux'");
        expect(r.stdout.trim()).toBe("SCRAM-SHA-256$");
    });

    test("with client certificates on, a connection without one is refused", () => {
        const r = psql(pgClientCerts.port, ca.certPath, login, "SELECT 1");
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/certificate/i);
    });

    test("with client certificates on, the user's certificate and password get in", () => {
        const r = psql(pgClientCerts.port, ca.certPath, { ...login, params: { sslcert: client.certPath, sslkey: client.keyPath } }, "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        expect(r.stderr).toBe("");
        expect(r.stdout.trim()).toBe("/CN=nestflux");
    });

    test("with client certificates on, a certificate for another user is refused", async () => {
        const intruder = issueLeaf(dir, "intruder", ca, { commonName: "postgres", usage: "client" });
        const r = psql(pgClientCerts.port, ca.certPath, { ...login, params: { sslcert: intruder.certPath, sslkey: intruder.keyPath } }, "SELECT 1");
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/FATAL/);
        // libpq reports a generic failure; the server says why.
        await expectLog(pgClientCerts.server, /certificate validation \(clientcert=verify-full\) failed for user "nestflux"/);
    });
});
