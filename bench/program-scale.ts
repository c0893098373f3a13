import * as path from "path";
import { run } from "../test/integration/harness/process";

/**
 * Program scale: the real index.ts under mocks with apiReplicas = n, each sample in a fresh
 * child process (bench/program-scale-child.ts) so peak RSS is per run. ts-node runs the child in
 * transpile-only mode: type checking is `npx tsc --noEmit`'s job and would only add a constant
 * (and a large compiler heap) to every sample.
 */

export interface ProgramSample {
    replicas: number;
    resources: number;
    containers: number;
    ms: number;
    maxRssMb: number;
    heapUsedMb: number;
}

export interface ProgramResults {
    samples: ProgramSample[];
    repeats: number;
    msPerReplica: number;
    interceptMs: number;
}

const ROOT = path.join(__dirname, "..");

function sampleOnce(replicas: number): ProgramSample {
    const r = run(process.execPath, ["-r", "ts-node/register", path.join(__dirname, "program-scale-child.ts"), String(replicas)], {
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
        timeoutMs: 180000,
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (r.code !== 0 || !line) throw new Error(`program-scale child (apiReplicas=${replicas}) failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return JSON.parse(line.slice("RESULT ".length)) as ProgramSample;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Least-squares slope and intercept of y over x. */
export function linearFit(xs: number[], ys: number[]): { slope: number; intercept: number } {
    const n = xs.length;
    const mx = xs.reduce((a, b) => a + b, 0) / n;
    const my = ys.reduce((a, b) => a + b, 0) / n;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
        num += (xs[i] - mx) * (ys[i] - my);
        den += (xs[i] - mx) ** 2;
    }
    const slope = den === 0 ? 0 : num / den;
    return { slope, intercept: my - slope * mx };
}

export function benchProgram(replicaCounts: number[], repeats: number, log: (s: string) => void): ProgramResults {
    const samples: ProgramSample[] = [];
    for (const n of replicaCounts) {
        const runs: ProgramSample[] = [];
        for (let i = 0; i < repeats; i++) runs.push(sampleOnce(n));
        const s: ProgramSample = {
            replicas: n,
            resources: runs[0].resources,
            containers: runs[0].containers,
            ms: median(runs.map((x) => x.ms)),
            maxRssMb: median(runs.map((x) => x.maxRssMb)),
            heapUsedMb: median(runs.map((x) => x.heapUsedMb)),
        };
        if (runs.some((x) => x.resources !== s.resources)) throw new Error(`apiReplicas=${n}: resource count differs between runs`);
        log(`  apiReplicas=${n} resources=${s.resources} ms=${runs.map((x) => x.ms.toFixed(0)).join("/")} maxRSS=${s.maxRssMb.toFixed(1)}MB`);
        samples.push(s);
    }
    const fit = linearFit(
        samples.map((s) => s.replicas),
        samples.map((s) => s.ms),
    );
    return { samples, repeats, msPerReplica: fit.slope, interceptMs: fit.intercept };
}
