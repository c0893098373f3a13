import * as fs from "fs";
import * as path from "path";
import { NginxInstance, startNginx } from "../test/integration/harness/nginx";
import { run } from "../test/integration/harness/process";
import type { Backend } from "../test/integration/harness/stack";
import { STimeResult, WrkOptions, WrkResult, mean, sTime, sTimeReuseCheck, wrk } from "./tools";

/**
 * Proxy overhead and TLS handshake cost, measured against the real rendered nginx.conf.
 *
 * Fairness: the direct baseline is ONE API process (Node is single-threaded), so both proxy
 * variants get exactly that one process as their only upstream. Putting two replicas behind
 * nginx would compare two API processes with one and measure replica scaling, not the proxy.
 */

export interface ProxyResults {
    direct: WrkResult;
    tuned: WrkResult;
    naive: WrkResult;
    rounds: number;
    wrk: WrkOptions;
    /**
     * TCP connections opened (system-wide ActiveOpens, /proc/net/snmp) per request during the
     * measured runs: ~0 when connections are reused, ~1 when nginx dials the API for every request.
     */
    connectsPerRequest: { direct: number; tuned: number; naive: number };
}

export interface TlsResults {
    full: STimeResult;
    resumed: STimeResult;
    seconds: number;
    reuseCheck: { reused: number; fresh: number };
    protocol: string;
}

/** Rate limits high enough that the benchmark measures proxying, not limit_req rejecting. */
const BENCH_RATE_LIMIT = { rateLimitRps: 100000, rateLimitBurst: 100000, authRateLimitRpm: 6000, authRateLimitBurst: 1000 };

/**
 * DELIBERATELY NAIVE variant of the rendered config, for comparison only: the same renderer's
 * text with upstream keepalive removed (no `keepalive`/`keepalive_timeout` in the upstream
 * block, and `Connection: close` sent upstream), so nginx opens a new TCP connection to the API
 * for every request. Everything else (TLS, headers, rate limiting, logging) is unchanged.
 */
export function withoutUpstreamKeepalive(conf: string): string {
    const upstream = /(upstream api_backend \{[\s\S]*?\n\s*\})/.exec(conf);
    if (!upstream) throw new Error("naive variant: no `upstream api_backend { … }` block in the rendered nginx.conf");
    const block = upstream[1];
    const stripped = block.replace(/^\s*keepalive(_timeout)? [^;]+;\n/gm, "");
    if (stripped === block) throw new Error("naive variant: the upstream block has no keepalive lines to remove (renderer changed?)");
    let out = conf.replace(block, stripped);
    const connection = /proxy_set_header Connection \$connection_upgrade;/g;
    if (!connection.test(out)) throw new Error("naive variant: no `proxy_set_header Connection $connection_upgrade;` to replace");
    out = out.replace(connection, 'proxy_set_header Connection "close";');
    return out;
}

/** Rewrite a running instance's nginx.conf and reload it (same ports, same process tree). */
async function reloadWith(inst: NginxInstance, conf: string): Promise<void> {
    const confPath = path.join(inst.dir, "nginx.conf");
    fs.writeFileSync(confPath, conf);
    const check = run("nginx", ["-t", "-c", confPath]);
    if (check.code !== 0) throw new Error(`nginx -t rejected the naive variant:\n${check.stderr}`);
    const reload = run("nginx", ["-c", confPath, "-s", "reload"]);
    if (reload.code !== 0) throw new Error(`nginx -s reload failed: ${reload.stderr}`);
    // The master starts new workers and retires the old ones gracefully; give it a moment. The
    // connects-per-request figures printed after the runs show the variant really closes upstream connections.
    await new Promise((r) => setTimeout(r, 1500));
}

/** Active TCP opens (connect() calls) so far in this network namespace. */
function activeOpens(): number {
    const lines = fs.readFileSync("/proc/net/snmp", "utf8").split("\n").filter((l) => l.startsWith("Tcp:"));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    return Number(values[names.indexOf("ActiveOpens")]);
}

async function settle(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
}

export interface ProxyBench {
    tuned: NginxInstance;
    naive: NginxInstance;
    stop(): Promise<void>;
}

export async function startProxies(backend: Backend): Promise<ProxyBench> {
    const api = backend.apis[0];
    const common = {
        upstreams: [`127.0.0.1:${api.port}`],
        certificatePath: backend.edge.certPath,
        keyPath: backend.edge.keyPath,
        ...BENCH_RATE_LIMIT,
    };
    const started: NginxInstance[] = [];
    try {
        started.push(await startNginx(common));
        started.push(await startNginx(common));
        const [tuned, naive] = started;
        const naiveConf = withoutUpstreamKeepalive(naive.conf);
        await reloadWith(naive, naiveConf);
        return {
            tuned,
            naive,
            stop: async () => {
                for (const n of started) await n.stop();
            },
        };
    } catch (e) {
        for (const n of started) await n.stop();
        throw e;
    }
}

type Variant = "direct" | "tuned" | "naive";

function average(xs: WrkResult[]): WrkResult {
    return {
        rps: mean(xs.map((x) => x.rps)),
        p50Ms: mean(xs.map((x) => x.p50Ms)),
        p99Ms: mean(xs.map((x) => x.p99Ms)),
        requests: xs.reduce((a, x) => a + x.requests, 0),
        non2xx: xs.reduce((a, x) => a + x.non2xx, 0),
        socketErrors: xs.reduce((a, x) => a + x.socketErrors, 0),
    };
}

/**
 * The wrk runs, in two phases:
 *  1. direct vs tuned proxy, alternating A-B then B-A each round, so drift over the run (JIT
 *     warm-up of the API, the neighbours of a shared host) hits both alike;
 *  2. the naive proxy LAST (after the TLS benchmark too): it opens one TCP connection per
 *     request and leaves tens of thousands of sockets in TIME-WAIT for 60 s, which slows down
 *     whatever runs right after it (an early version interleaved it and the tuned run that
 *     followed it lost ~25%).
 */
export class ProxyBenchmark {
    private readonly urls: Record<Variant, string>;
    private readonly results: Record<Variant, WrkResult[]> = { direct: [], tuned: [], naive: [] };
    private readonly connects: Record<Variant, number[]> = { direct: [], tuned: [], naive: [] };

    constructor(
        backend: Backend,
        proxies: ProxyBench,
        private readonly o: WrkOptions,
        private readonly rounds: number,
        private readonly log: (s: string) => void,
    ) {
        this.urls = {
            direct: `http://127.0.0.1:${backend.apis[0].port}/api/health`,
            tuned: `https://127.0.0.1:${proxies.tuned.httpsPort}/api/health`,
            naive: `https://127.0.0.1:${proxies.naive.httpsPort}/api/health`,
        };
        // Sanity: every target answers 200 before any timing starts.
        for (const [k, u] of Object.entries(this.urls)) {
            const r = run("curl", ["-fsS", "-k", "-o", "/dev/null", "-w", "%{http_code}", u]);
            if (r.stdout !== "200") throw new Error(`${k} ${u} did not answer 200: ${r.stdout} ${r.stderr}`);
        }
    }

    private async measure(v: Variant, round: number): Promise<void> {
        wrk(this.urls[v], { ...this.o, seconds: 2 }); // warm-up: upstream pool, TLS session state
        const opens = activeOpens();
        const r = wrk(this.urls[v], this.o);
        this.connects[v].push((activeOpens() - opens) / r.requests);
        this.results[v].push(r);
        this.log(`  round ${round + 1} ${v.padEnd(6)} rps=${r.rps.toFixed(0)} p50=${r.p50Ms.toFixed(2)}ms p99=${r.p99Ms.toFixed(2)}ms requests=${r.requests}`);
        await settle(1000);
    }

    async directVsTuned(): Promise<void> {
        // Warm the API's JIT before anything counts: it keeps getting faster for ~10 s of load.
        wrk(this.urls.direct, { ...this.o, seconds: 5 });
        wrk(this.urls.tuned, { ...this.o, seconds: 5 });
        for (let round = 0; round < this.rounds; round++) {
            const seq: Variant[] = round % 2 === 0 ? ["direct", "tuned"] : ["tuned", "direct"];
            for (const v of seq) await this.measure(v, round);
        }
    }

    async naive(): Promise<void> {
        for (let round = 0; round < this.rounds; round++) await this.measure("naive", round);
    }

    summary(): ProxyResults {
        const c = this.connects;
        return {
            direct: average(this.results.direct),
            tuned: average(this.results.tuned),
            naive: average(this.results.naive),
            rounds: this.rounds,
            wrk: this.o,
            connectsPerRequest: { direct: mean(c.direct), tuned: mean(c.tuned), naive: mean(c.naive) },
        };
    }
}

/**
 * Full vs resumed handshakes against the tuned proxy (shared session cache on, tickets off).
 * TLS 1.2 is pinned on the client: with tickets off, a TLS 1.3 resumption needs the stateful
 * ticket that OpenSSL sends after the handshake, which `s_time` (handshake only, no read) never
 * picks up, so a 1.3 "-reuse" run would silently do full handshakes. The reuse check below counts
 * the 'r' marks s_time prints to prove resumption actually happened.
 */
export function benchTls(port: number, seconds: number): TlsResults {
    const extra = ["-tls1_2"];
    const reuseCheck = sTimeReuseCheck(port, extra);
    if (reuseCheck.reused === 0) throw new Error(`s_time -reuse resumed no session (${reuseCheck.fresh} new): the session cache is not working`);
    const full = sTime(port, "new", seconds, extra);
    const resumed = sTime(port, "reuse", seconds, extra);
    return { full, resumed, seconds, reuseCheck, protocol: "TLSv1.2 (ECDHE-ECDSA, P-256 cert)" };
}
