import { spawnSync } from "child_process";
import * as http from "http";

/**
 * The Docker engine as the replay driver and the checks use it: the Engine API over the local
 * socket for what the docker provider sends as JSON (container create), the docker CLI for the
 * rest. Every failure throws with the engine's own message.
 */

export const API_VERSION = "v1.41";

function socketPath(): string {
    const host = process.env.DOCKER_HOST;
    if (!host) return "/var/run/docker.sock";
    if (host.startsWith("unix://")) return host.slice("unix://".length);
    throw new Error(`the replay driver talks to a local engine only; DOCKER_HOST=${host} is not supported (the Automation API driver is)`);
}

/** A request to the Engine API: `body` is sent as JSON, or as it is when given as `{ raw, contentType }`. */
export function engineRequest(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    return new Promise((resolve, reject) => {
        const raw = body !== null && typeof body === "object" && Buffer.isBuffer((body as { raw?: unknown }).raw) ? (body as { raw: Buffer; contentType: string }) : undefined;
        const data = raw ? raw.raw : body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const contentType = raw ? raw.contentType : "application/json";
        const req = http.request(
            { socketPath: socketPath(), path: `/${API_VERSION}${path}`, method, headers: data ? { "content-type": contentType, "content-length": data.length } : {} },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c) => chunks.push(c));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    let json: any = text;
                    try {
                        json = text ? JSON.parse(text) : undefined;
                    } catch {
                        /* plain text answer */
                    }
                    resolve({ status: res.statusCode ?? 0, json });
                });
            },
        );
        req.on("error", reject);
        if (data) req.write(data);
        req.end();
    });
}

export interface CliResult {
    code: number;
    stdout: string;
    stderr: string;
}

export function docker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): CliResult {
    // Bytes either way: with encoding "buffer", newer Node refuses a string input.
    const input = typeof opts.input === "string" ? Buffer.from(opts.input) : opts.input;
    const r = spawnSync("docker", args, { input, encoding: "buffer", timeout: opts.timeoutMs ?? 300000, maxBuffer: 256 * 1024 * 1024 });
    return { code: r.status ?? -1, stdout: r.stdout?.toString("utf8") ?? "", stderr: (r.stderr?.toString("utf8") ?? "") + (r.error ? String(r.error) : "") };
}

/** docker …, throwing with the command and the engine's message when it fails. */
export function dockerOk(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): string {
    const r = docker(args, opts);
    if (r.code !== 0) throw new Error(`docker ${args.slice(0, 3).join(" ")} … failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
}

export function inspect(kind: "container" | "network" | "volume" | "image", ref: string): any {
    return JSON.parse(dockerOk([kind, "inspect", ref]))[0];
}

export function exists(kind: "container" | "network" | "volume" | "image", ref: string): boolean {
    return docker([kind, "inspect", ref]).code === 0;
}

export async function sleep(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
}
