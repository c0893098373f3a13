import { ChildProcess, spawn, spawnSync, SpawnOptions } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

/** Small process helpers shared by the integration harness: ports, temp dirs, servers, waits. */

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/** A temp dir other users can traverse (nginx workers and postgres run as other users). */
export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nestflux-${prefix}-`));
    fs.chmodSync(dir, 0o755);
    return dir;
}

export function isRoot(): boolean {
    return typeof process.getuid === "function" && process.getuid() === 0;
}

/** A long-running server process with its output captured for failure reports. */
export class Server {
    private readonly output: string[] = [];
    readonly child: ChildProcess;
    exitCode: number | null = null;
    private readonly exited: Promise<number | null>;

    constructor(
        readonly name: string,
        command: string,
        args: string[],
        opts: SpawnOptions = {},
    ) {
        this.child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, ...opts });
        const keep = (b: Buffer) => {
            this.output.push(b.toString());
            if (this.output.length > 2000) this.output.splice(0, 1000);
        };
        this.child.stdout?.on("data", keep);
        this.child.stderr?.on("data", keep);
        this.exited = new Promise((resolve) =>
            this.child.on("exit", (code, signal) => {
                this.exitCode = code ?? (signal ? 128 : null);
                resolve(this.exitCode);
            }),
        );
    }

    logs(): string {
        return this.output.join("");
    }

    get running(): boolean {
        return this.exitCode === null;
    }

    /** Resolves with the exit code, or undefined if still running after `ms`. */
    async waitExit(ms: number): Promise<number | null | undefined> {
        return Promise.race([this.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
    }

    async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
        if (!this.running || this.child.pid === undefined) return;
        try {
            process.kill(-this.child.pid, signal);
        } catch {
            return;
        }
        if ((await this.waitExit(10000)) === undefined) {
            try {
                process.kill(-this.child.pid, "SIGKILL");
            } catch {
                /* already gone */
            }
            await this.waitExit(5000);
        }
    }
}

/** Poll `check` until it returns true; on time-out throw with `describe()` (server logs). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, describe: () => string, ms = 30000): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
        try {
            if (await check()) return;
        } catch {
            /* not yet */
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}\n--- logs ---\n${describe()}`);
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Run a client command to completion (never throws on a non-zero exit). */
export function run(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): RunResult {
    const r = spawnSync(command, args, { env: opts.env ?? process.env, input: opts.input ?? "", timeout: opts.timeoutMs ?? 30000, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? 1, stdout: r.stdout?.toString() ?? "", stderr: (r.stderr?.toString() ?? "") + (r.error ? String(r.error) : "") };
}

export function which(cmd: string): boolean {
    return run("sh", ["-c", `command -v ${cmd}`]).code === 0;
}
