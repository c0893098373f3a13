import * as fs from "fs";
import * as path from "path";
import { startPostgres, psql } from "../test/integration/harness/postgres";
import { run, tempDir } from "../test/integration/harness/process";
import { DB_LOGIN, dbServerCert } from "../test/integration/harness/stack";
import { makeCa } from "../test/support/certs";
import { PgbenchResult, mean, parsePgbench, pgbench } from "./tools";

/**
 * PostgreSQL over verified TLS vs plaintext, on ONE server started from the rendered
 * postgresql.conf / pg_hba.conf. The rendered pg_hba refuses plaintext TCP, so for the benchmark
 * only, one line is added in front of the `hostnossl … reject` rules that lets 127.0.0.1 in
 * without TLS (same scram-sha-256 auth), and the server reloads. Same process, same data, same
 * settings: the only difference between the two runs is the client's sslmode.
 *
 * pgbench runs with persistent connections (no -C): each client connects once, so this measures
 * the per-query cost of encryption, not handshakes (those are the TLS benchmark's business).
 */

export interface PgResults {
    tls: PgbenchResult;
    plain: PgbenchResult;
    rounds: number;
    args: string[];
    scale: number;
    plainRefusedByRenderedHba: boolean;
    sslInUse: { tls: string; plain: string };
}

export async function benchPostgres(
    opts: { seconds: number; rounds: number; scale: number },
    log: (s: string) => void,
    /** Lets the caller stop the server on Ctrl-C too; it is stopped here in any case. */
    registerStop: (stop: () => Promise<void>) => void = () => {},
): Promise<PgResults> {
    const dir = tempDir("bench-pg");
    const ca = makeCa(dir);
    const server = dbServerCert(dir, ca);
    let pg: Awaited<ReturnType<typeof startPostgres>> | undefined;
    try {
        pg = await startPostgres({ ca, server, ...DB_LOGIN });
        registerStop(pg.stop);
        const login = { ...DB_LOGIN };
        const conninfo = (sslmode: string) =>
            [
                "host=localhost",
                "hostaddr=127.0.0.1",
                `port=${pg!.port}`,
                `user=${DB_LOGIN.user}`,
                `dbname=${DB_LOGIN.database}`,
                `sslmode=${sslmode}`,
                ...(sslmode === "verify-full" ? [`sslrootcert=${ca.certPath}`] : []),
            ].join(" ");
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PGPASSWORD: DB_LOGIN.password,
            PGSSLROOTCERT: ca.certPath,
            PGSSLCERT: "/nonexistent",
            PGSSLKEY: "/nonexistent",
        };

        // The rendered pg_hba refuses plaintext: check that first, so the edit below is the only reason it works later.
        const refused = psql(pg.port, ca.certPath, { ...login, params: { sslmode: "disable" } }, "select 1");
        const plainRefusedByRenderedHba = refused.code !== 0 && /no encryption|rejects connection/.test(refused.stderr);

        log(`  pgbench -i -s ${opts.scale} (over verify-full TLS)`);
        pgbench(["-i", "-s", String(opts.scale), "-q"], conninfo("verify-full"), env, 300000);

        // Benchmark-only hba: allow plaintext from loopback, ahead of the rendered reject rules.
        const hbaPath = path.join(pg.dir, "pg_hba.conf");
        const hba = fs.readFileSync(hbaPath, "utf8");
        const firstReject = hba.search(/^hostnossl\s.*reject\s*$/m);
        if (firstReject < 0) throw new Error(`rendered pg_hba.conf has no hostnossl reject rule:\n${hba}`);
        fs.writeFileSync(hbaPath, `${hba.slice(0, firstReject)}hostnossl  all  all  127.0.0.1/32  scram-sha-256  # BENCHMARK ONLY\n${hba.slice(firstReject)}`);
        const reload = run("psql", ["-X", "-At", "-h", pg.dir, "-p", String(pg.port), "-U", DB_LOGIN.user, "-d", "postgres", "-c", "select pg_reload_conf()"], {
            env,
        });
        if (reload.code !== 0 || reload.stdout.trim() !== "t") throw new Error(`pg_reload_conf failed: ${reload.stderr}`);
        await new Promise((r) => setTimeout(r, 500));

        const sslQuery = "select ssl || ' ' || coalesce(version, '-') from pg_stat_ssl where pid = pg_backend_pid()";
        const sslTls = psql(pg.port, ca.certPath, login, sslQuery);
        const sslPlain = psql(pg.port, ca.certPath, { ...login, params: { sslmode: "disable" } }, sslQuery);
        if (sslTls.code !== 0 || sslPlain.code !== 0) throw new Error(`ssl check failed: ${sslTls.stderr} ${sslPlain.stderr}`);
        const sslInUse = { tls: sslTls.stdout.trim(), plain: sslPlain.stdout.trim() };
        if (!sslInUse.tls.startsWith("true TLS") || !sslInUse.plain.startsWith("false")) throw new Error(`unexpected pg_stat_ssl: ${JSON.stringify(sslInUse)}`);

        const args = ["-n", "-S", "-c", "4", "-j", "2", "-T", String(opts.seconds)];
        // Warm-up (buffers, OS cache, plans) with each mode, not measured.
        for (const m of ["verify-full", "disable"]) pgbench(["-n", "-S", "-c", "4", "-j", "2", "-T", "2"], conninfo(m), env, 60000);

        const results = { tls: [] as PgbenchResult[], plain: [] as PgbenchResult[] };
        for (let round = 0; round < opts.rounds; round++) {
            const seq: ("tls" | "plain")[] = round % 2 === 0 ? ["tls", "plain"] : ["plain", "tls"];
            for (const v of seq) {
                const r = parsePgbench(pgbench(args, conninfo(v === "tls" ? "verify-full" : "disable"), env, (opts.seconds + 60) * 1000));
                results[v].push(r);
                log(`  round ${round + 1} ${v.padEnd(5)} tps=${r.tps.toFixed(0)} latency=${r.latencyMs.toFixed(3)}ms`);
            }
        }
        const avg = (xs: PgbenchResult[]): PgbenchResult => ({
            tps: mean(xs.map((x) => x.tps)),
            latencyMs: mean(xs.map((x) => x.latencyMs)),
            transactions: xs.reduce((a, x) => a + x.transactions, 0),
        });
        return { tls: avg(results.tls), plain: avg(results.plain), rounds: opts.rounds, args, scale: opts.scale, plainRefusedByRenderedHba, sslInUse };
    } finally {
        if (pg) await pg.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
