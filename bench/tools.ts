import * as fs from "fs";
import { run } from "../test/integration/harness/process";
import { PG_BIN } from "../test/integration/harness/requirements";

/**
 * Load generators and their output parsers. Every client is a real CLI (wrk, openssl s_time,
 * pgbench), run to completion with a time-out a little above its own duration.
 */

export interface WrkResult {
    rps: number;
    p50Ms: number;
    p99Ms: number;
    requests: number;
    non2xx: number;
    socketErrors: number;
}

function toMs(value: string, unit: string): number {
    const v = Number(value);
    switch (unit) {
        case "us":
            return v / 1000;
        case "ms":
            return v;
        case "s":
            return v * 1000;
        case "m":
            return v * 60000;
        default:
            throw new Error(`wrk: unknown latency unit ${unit}`);
    }
}

export function parseWrk(out: string): WrkResult {
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
    const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
    const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
    const requests = /(\d+) requests in/.exec(out);
    if (!rps || !p50 || !p99 || !requests) throw new Error(`cannot parse wrk output:\n${out}`);
    const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    return {
        rps: Number(rps[1]),
        p50Ms: toMs(p50[1], p50[2]),
        p99Ms: toMs(p99[1], p99[2]),
        requests: Number(requests[1]),
        non2xx: non2xx ? Number(non2xx[1]) : 0,
        socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    };
}

export interface WrkOptions {
    threads: number;
    connections: number;
    seconds: number;
}

/** One wrk run; throws when more than 1% of responses are errors (a rate limit or a broken proxy). */
export function wrk(url: string, o: WrkOptions): WrkResult {
    const r = run("wrk", [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, "--latency", "--timeout", "5s", url], {
        timeoutMs: (o.seconds + 30) * 1000,
    });
    if (r.code !== 0) throw new Error(`wrk ${url} failed (${r.code}): ${r.stderr}\n${r.stdout}`);
    const res = parseWrk(r.stdout);
    if (res.non2xx + res.socketErrors > res.requests * 0.01) {
        throw new Error(`wrk ${url}: ${res.non2xx} non-2xx responses and ${res.socketErrors} socket errors in ${res.requests} requests\n${r.stdout}`);
    }
    return res;
}

export interface STimeResult {
    connections: number;
    seconds: number;
    perSecond: number;
}

/**
 * `openssl s_time`: handshakes only (no -www, so no HTTP request), one connection at a time.
 * The rate is connections per WALL-clock second, timed here: s_time's own "real seconds" is a
 * whole number (5 or 6 for -time 5, a 20% error), and its "connections/user sec" counts only the
 * client's CPU time, leaving out the server's share of the handshake, which is the point.
 */
export function sTime(port: number, mode: "new" | "reuse", seconds: number, extra: string[] = []): STimeResult {
    const t0 = process.hrtime.bigint();
    const r = run("openssl", ["s_time", "-connect", `127.0.0.1:${port}`, `-${mode}`, "-time", String(seconds), ...extra], {
        timeoutMs: (seconds + 30) * 1000,
    });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    // "1234 connections in 0.73s; 1743.84 connections/user sec, bytes read 0"
    // "1234 connections in 6 real seconds, 0 bytes read per connection"
    const real = /(\d+) connections in (\d+) real seconds/.exec(r.stdout);
    if (r.code !== 0 || !real) throw new Error(`openssl s_time -${mode} failed (${r.code}): ${r.stderr}\n${r.stdout}`);
    const connections = Number(real[1]);
    return { connections, seconds: wall, perSecond: connections / wall };
}

/** `openssl s_time -reuse` prints one character per connection after the first: 'r' reused, '*' new. */
export function sTimeReuseCheck(port: number, extra: string[] = []): { reused: number; fresh: number } {
    const r = run("openssl", ["s_time", "-connect", `127.0.0.1:${port}`, "-reuse", "-time", "1", ...extra], { timeoutMs: 30000 });
    const marks = r.stdout.split("\n").find((l) => /^[r*]+$/.test(l.trim())) ?? "";
    return { reused: (marks.match(/r/g) ?? []).length, fresh: (marks.match(/\*/g) ?? []).length };
}

export interface PgbenchResult {
    tps: number;
    latencyMs: number;
    transactions: number;
}

export function parsePgbench(out: string): PgbenchResult {
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
    const lat = /latency average = ([\d.]+) ms/.exec(out);
    const tx = /number of transactions actually processed: (\d+)/.exec(out);
    if (!tps || !lat || !tx) throw new Error(`cannot parse pgbench output:\n${out}`);
    return { tps: Number(tps[1]), latencyMs: Number(lat[1]), transactions: Number(tx[1]) };
}

export function pgbench(args: string[], conninfo: string, env: NodeJS.ProcessEnv, timeoutMs: number): string {
    const r = run(`${PG_BIN}/pgbench`, [...args, conninfo], { env, timeoutMs });
    if (r.code !== 0) throw new Error(`pgbench ${args.join(" ")} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout + r.stderr;
}

export interface Machine {
    nproc: string;
    cpu: string;
    memory: string;
    kernel: string;
    node: string;
    nginx: string;
    postgres: string;
    openssl: string;
    wrk: string;
    date: string;
}

export function machine(): Machine {
    const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
    const meminfo = fs.readFileSync("/proc/meminfo", "utf8");
    const memKb = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
    const first = (s: string) => s.split("\n").find((l) => l.trim() !== "")?.trim() ?? "?";
    return {
        nproc: run("nproc", []).stdout.trim(),
        cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1].trim() ?? "unknown",
        memory: `${(memKb / 1024 / 1024).toFixed(1)} GiB`,
        kernel: run("uname", ["-r"]).stdout.trim(),
        node: process.version,
        nginx: first(run("nginx", ["-v"]).stderr),
        postgres: first(run(`${PG_BIN}/postgres`, ["--version"]).stdout),
        openssl: first(run("openssl", ["version"]).stdout),
        wrk: first(run("wrk", ["-v"]).stdout + run("wrk", ["-v"]).stderr).replace(/ Copyright.*/, ""),
        date: new Date().toISOString(),
    };
}

export function mean(xs: number[]): number {
    return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Fixed-precision number for key=value lines. */
export function fmt(x: number, digits = 3): string {
    return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}
