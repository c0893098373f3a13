/**
 * NestFlux benchmarks: each secure path measured side by side with its plain counterpart in one
 * run, on 127.0.0.1 only, with the real rendered configs and the real API.
 *
 *   npm run bench                      everything (about 4-5 minutes on 2 cores)
 *   BENCH_ONLY=proxy,tls,pg,program    a subset (comma-separated)
 *   BENCH_SECONDS=10                   wrk / pgbench duration per measured run
 *   BENCH_ROUNDS=2                     rounds per pair (alternating order, results averaged)
 *
 * Output: progress lines, then `key=value` lines, then a Markdown table and the machine.
 */
import { startBackend } from "../test/integration/harness/stack";
import { missingRequirements } from "../test/integration/harness/requirements";
import { which } from "../test/integration/harness/process";
import { PgResults, benchPostgres } from "./postgres";
import { ProgramResults, benchProgram } from "./program-scale";
import { ProxyBenchmark, ProxyResults, TlsResults, benchTls, startProxies } from "./proxy";
import { fmt, machine } from "./tools";

const TARGETS = { proxyVsDirect: 0.9, pgTlsVsPlain: 0.85 };

const only = (process.env.BENCH_ONLY ?? "proxy,tls,pg,program").split(",").map((s) => s.trim());
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const TLS_SECONDS = 5;
const WRK = { threads: 2, connections: 32, seconds: SECONDS };

const log = (s: string) => process.stdout.write(`${s}\n`);

/** Everything started is stopped: on normal exit, on error, and on Ctrl-C. */
const cleanups: (() => Promise<void>)[] = [];
async function cleanupAll(): Promise<void> {
    while (cleanups.length) {
        const c = cleanups.pop()!;
        try {
            await c();
        } catch (e) {
            process.stderr.write(`cleanup failed: ${String(e)}\n`);
        }
    }
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
        process.stderr.write(`\n${sig}: stopping servers\n`);
        void cleanupAll().then(() => process.exit(130));
    });
}

async function withCleanup<T>(stop: () => Promise<void>, body: () => Promise<T>): Promise<T> {
    cleanups.push(stop);
    try {
        return await body();
    } finally {
        const i = cleanups.indexOf(stop);
        if (i >= 0) cleanups.splice(i, 1);
        await stop();
    }
}

function kv(key: string, value: string | number): void {
    log(`${key}=${typeof value === "number" ? fmt(value) : value}`);
}

function verdict(ok: boolean): string {
    return ok ? "PASS" : "MISS";
}

async function main(): Promise<void> {
    const started = Date.now();
    const missing = [...missingRequirements(true).filter((m) => !m.startsWith("testssl")), ...["wrk", "ss"].filter((c) => !which(c))];
    if (!which("/usr/lib/postgresql/15/bin/pgbench") && !which("pgbench")) missing.push("pgbench");
    if (missing.length) throw new Error(`benchmarks need: ${missing.join(", ")}`);

    const m = machine();
    log(`# NestFlux benchmarks — ${m.date}`);
    log(`# ${m.nproc} cores, ${m.cpu}; ${m.node}; ${m.nginx}; ${m.postgres}`);

    let proxy: ProxyResults | undefined;
    let tls: TlsResults | undefined;
    let pg: PgResults | undefined;
    let program: ProgramResults | undefined;

    if (only.includes("proxy") || only.includes("tls")) {
        log("\n## backend: CA, PostgreSQL (TLS), 1 API replica; 2 nginx instances from the rendered nginx.conf");
        const backend = await startBackend(1);
        await withCleanup(backend.stop, async () => {
            const proxies = await startProxies(backend);
            await withCleanup(proxies.stop, async () => {
                const bench = only.includes("proxy") ? new ProxyBenchmark(backend, proxies, WRK, ROUNDS, log) : undefined;
                if (bench) {
                    log(`## proxy: wrk -t${WRK.threads} -c${WRK.connections} -d${WRK.seconds}s --latency GET /api/health, direct vs proxy, ${ROUNDS} round(s)`);
                    await bench.directVsTuned();
                }
                if (only.includes("tls")) {
                    log(`## tls: openssl s_time -new vs -reuse, ${TLS_SECONDS}s each, against the tuned proxy`);
                    tls = benchTls(proxies.tuned.httpsPort, TLS_SECONDS);
                    log(`  full=${tls.full.perSecond.toFixed(0)}/s resumed=${tls.resumed.perSecond.toFixed(0)}/s (reuse check: ${tls.reuseCheck.reused} resumed, ${tls.reuseCheck.fresh} new)`);
                }
                if (bench) {
                    log("## proxy: naive variant without upstream keepalive (run last: it floods TIME-WAIT)");
                    await bench.naive();
                    proxy = bench.summary();
                }
            });
        });
    }

    if (only.includes("pg")) {
        log(`## postgres: pgbench -S -c 4 -j 2 -T ${SECONDS}, verify-full TLS vs plaintext, same server, ${ROUNDS} round(s)`);
        pg = await benchPostgres({ seconds: SECONDS, rounds: ROUNDS, scale: 10 }, log, (stop) => cleanups.push(stop));
    }

    if (only.includes("program")) {
        log("## program: index.ts under mocks (dev config), apiReplicas = 1, 8, 32; 3 child processes each, median");
        program = benchProgram([1, 8, 32], 3, log);
    }

    // ---- key=value lines ----
    log("\n## results");
    const rows: string[][] = [];
    if (proxy) {
        const ratio = proxy.tuned.rps / proxy.direct.rps;
        const naiveRatio = proxy.naive.rps / proxy.tuned.rps;
        kv("direct_rps", proxy.direct.rps);
        kv("proxy_rps", proxy.tuned.rps);
        kv("proxy_naive_rps", proxy.naive.rps);
        kv("direct_p99_ms", proxy.direct.p99Ms);
        kv("proxy_p99_ms", proxy.tuned.p99Ms);
        kv("proxy_naive_p99_ms", proxy.naive.p99Ms);
        kv("proxy_vs_direct_rps_ratio", ratio);
        kv("proxy_vs_direct_p99_ratio", proxy.tuned.p99Ms / proxy.direct.p99Ms);
        kv("proxy_naive_vs_tuned_rps_ratio", naiveRatio);
        kv("tcp_connects_per_request_direct", proxy.connectsPerRequest.direct.toFixed(4));
        kv("tcp_connects_per_request_proxy", proxy.connectsPerRequest.tuned.toFixed(4));
        kv("tcp_connects_per_request_proxy_naive", proxy.connectsPerRequest.naive.toFixed(4));
        kv("proxy_vs_direct_target", `>=${TARGETS.proxyVsDirect} ${verdict(ratio >= TARGETS.proxyVsDirect)}`);
        rows.push(
            ["GET /api/health req/s — proxy (HTTPS, keepalive both sides) vs API direct (HTTP)", fmt(proxy.tuned.rps, 0), fmt(proxy.direct.rps, 0), fmt(ratio), `≥ ${TARGETS.proxyVsDirect} (${verdict(ratio >= TARGETS.proxyVsDirect)})`],
            ["GET /api/health p99 ms — proxy vs direct (ratio = proxy/direct)", fmt(proxy.tuned.p99Ms, 2), fmt(proxy.direct.p99Ms, 2), fmt(proxy.tuned.p99Ms / proxy.direct.p99Ms), "—"],
            ["req/s — rendered proxy vs naive proxy without upstream keepalive (ratio = naive/tuned)", fmt(proxy.tuned.rps, 0), fmt(proxy.naive.rps, 0), fmt(naiveRatio), "< 1 (keepalive pays)"],
            ["p99 ms — rendered proxy vs naive proxy", fmt(proxy.tuned.p99Ms, 2), fmt(proxy.naive.p99Ms, 2), fmt(proxy.naive.p99Ms / proxy.tuned.p99Ms), "—"],
        );
    }
    if (tls) {
        const ratio = tls.resumed.perSecond / tls.full.perSecond;
        kv("tls_full_handshakes_per_s", tls.full.perSecond);
        kv("tls_resumed_handshakes_per_s", tls.resumed.perSecond);
        kv("tls_resumed_vs_full_ratio", ratio);
        kv("tls_protocol", tls.protocol.replace(/ /g, "_"));
        rows.push(["TLS handshakes/s at the proxy — full (secure col) vs resumed from session cache (plain col); ratio = resumed/full", fmt(tls.full.perSecond, 0), fmt(tls.resumed.perSecond, 0), fmt(ratio), "> 1 (cache works)"]);
    }
    if (pg) {
        const ratio = pg.tls.tps / pg.plain.tps;
        kv("pg_tls_tps", pg.tls.tps);
        kv("pg_plain_tps", pg.plain.tps);
        kv("pg_tls_latency_ms", pg.tls.latencyMs);
        kv("pg_plain_latency_ms", pg.plain.latencyMs);
        kv("pg_tls_vs_plain_tps_ratio", ratio);
        kv("pg_plain_refused_by_rendered_hba", String(pg.plainRefusedByRenderedHba));
        kv("pg_stat_ssl_tls_run", pg.sslInUse.tls.replace(/ /g, "_"));
        kv("pg_tls_vs_plain_target", `>=${TARGETS.pgTlsVsPlain} ${verdict(ratio >= TARGETS.pgTlsVsPlain)}`);
        rows.push(["PostgreSQL select-only TPS (pgbench -S -c4 -j2, persistent conns) — verify-full vs sslmode=disable", fmt(pg.tls.tps, 0), fmt(pg.plain.tps, 0), fmt(ratio), `≥ ${TARGETS.pgTlsVsPlain} (${verdict(ratio >= TARGETS.pgTlsVsPlain)})`]);
    }
    if (program) {
        for (const s of program.samples) {
            kv(`program_replicas_${s.replicas}_resources`, s.resources);
            kv(`program_replicas_${s.replicas}_ms`, s.ms);
            kv(`program_replicas_${s.replicas}_max_rss_mb`, s.maxRssMb);
        }
        const first = program.samples[0];
        const last = program.samples[program.samples.length - 1];
        const tRatio = last.ms / first.ms;
        kv("program_ms_per_replica", program.msPerReplica);
        kv("program_fixed_ms", program.interceptMs);
        kv(`program_${last.replicas}_vs_${first.replicas}_time_ratio`, tRatio);
        kv(`program_${last.replicas}_vs_${first.replicas}_rss_ratio`, last.maxRssMb / first.maxRssMb);
        rows.push(
            [`index.ts under mocks, ms — apiReplicas=${last.replicas} (secure col) vs ${first.replicas} (plain col)`, fmt(last.ms, 0), fmt(first.ms, 0), fmt(tRatio), `< ${last.replicas / first.replicas} (sub-linear)`],
            [`index.ts under mocks, max RSS MB — apiReplicas=${last.replicas} vs ${first.replicas}`, fmt(last.maxRssMb, 1), fmt(first.maxRssMb, 1), fmt(last.maxRssMb / first.maxRssMb), "—"],
        );
    }

    // ---- Markdown ----
    log("\n## table\n");
    log(`Benchmarks (\`npm run bench\`, ${m.date.slice(0, 10)}), loopback only; ratios measured side by side in one run, ${ROUNDS} alternating round(s) averaged.\n`);
    log("| metric | secure | plain | ratio | target |");
    log("|---|---:|---:|---:|---|");
    for (const r of rows) log(`| ${r.join(" | ")} |`);
    if (program) {
        log("\n| apiReplicas | resources | ms (median of 3) | max RSS MB |");
        log("|---:|---:|---:|---:|");
        for (const s of program.samples) log(`| ${s.replicas} | ${s.resources} | ${fmt(s.ms, 0)} | ${fmt(s.maxRssMb, 1)} |`);
        log(`\nSlope: ${fmt(program.msPerReplica, 1)} ms per replica (least squares), fixed part ${fmt(program.interceptMs, 0)} ms.`);
    }
    log("\nMachine:\n");
    log(`- ${m.nproc} cores: ${m.cpu}; ${m.memory} RAM; Linux ${m.kernel}`);
    log(`- Node ${m.node}; ${m.nginx}; ${m.postgres}; ${m.openssl}; ${m.wrk}`);
    log(`- Date: ${m.date}`);
    log(`- Client and servers share the machine: wrk -t${WRK.threads} -c${WRK.connections} -d${WRK.seconds}s; openssl s_time ${TLS_SECONDS}s; pgbench ${SECONDS}s.`);
    log(`\nbench_total_seconds=${fmt((Date.now() - started) / 1000, 1)}`);
}

main().then(
    async () => {
        await cleanupAll();
        process.exit(0);
    },
    async (e) => {
        process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
        await cleanupAll();
        process.exit(1);
    },
);
