import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULTS, SECRET_KEYS, SettingKey } from "../../components/config";
import { stackConfig } from "../support/mock-engine";
import { AutomationDriver } from "./driver/automation";
import { docker, dockerOk, inspect } from "./driver/engine";
import { ensureImage } from "./images";

/**
 * The Docker tier's harness: deploys the real index.ts for a stack onto the real engine with the
 * Automation API when a `pulumi` CLI is on PATH, else with the replay driver, and gives the
 * checks what they need. The same checks run after either driver.
 */

export const REPO = path.join(__dirname, "..", "..");
// The Pulumi runtime also rejects a registration's own promise when a resource fails; the run
// itself fails through the driver, so these copies only need to be kept from killing jest.
process.on("unhandledRejection", () => undefined);
const imageSources = new Map<string, string>();

export function log(line: string): void {
    process.stdout.write(`[docker tier] ${line}\n`);
}

async function ensure(ref: string): Promise<void> {
    if (imageSources.has(ref)) return;
    const r = await ensureImage(ref);
    imageSources.set(ref, r.source);
    log(`image ${ref}: ${r.source}`);
}

export function imageReport(): string[] {
    return [...imageSources].map(([ref, source]) => `${ref}=${source}`);
}

function hasPulumiCli(): boolean {
    return spawnSync("pulumi", ["version"], { encoding: "utf8" }).status === 0;
}

export class Deployment {
    readonly dir: string;
    readonly driver = hasPulumiCli() ? "automation" : "replay";
    config: Record<string, string>;
    outputs: Record<string, any> = {};
    private automation?: AutomationDriver;

    constructor(
        readonly stack: "dev" | "prod",
        extra: Record<string, string> = {},
    ) {
        this.config = { ...stackConfig(stack), ...extra };
        // Holds the state file, which holds secrets: owner-only.
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `nestflux-docker-${stack}-`));
        fs.chmodSync(this.dir, 0o700);
    }

    get secretKeys(): string[] {
        return Object.keys(this.config).filter((k) => (SECRET_KEYS as readonly string[]).includes(k.split(":")[1]));
    }

    /** A setting as the program sees it: the stack's value, else the default. */
    setting(key: SettingKey): string {
        return this.config[`nestflux:${key}`] ?? String(DEFAULTS[key]);
    }

    get prefix(): string {
        return `nestflux-${this.stack}`;
    }

    /** One `pulumi up` with the current config (plus `change`, which is kept). */
    async up(change: Record<string, string> = {}): Promise<{ replaced: string[]; created: string[] }> {
        Object.assign(this.config, change);
        // Pinned images the program names: present, pulled or stand-in, before the provider needs them.
        for (const key of ["dbImage", "proxyImage"] as const) await ensure(this.setting(key));
        log(`${this.stack}: pulumi up with the ${this.driver} driver`);
        if (this.driver === "automation") {
            this.automation ??= new AutomationDriver(REPO, this.stack, path.join(this.dir, "state"), log);
            this.outputs = await this.automation.up(this.config, this.secretKeys);
            return { replaced: [], created: [] };
        }
        let result!: Awaited<ReturnType<typeof import("./driver/replay").up>>;
        await new Promise<void>((resolve, reject) => {
            // A fresh module registry per run: index.ts executes again, like a new `pulumi up`,
            // and the driver shares that run's copy of @pulumi/pulumi.
            jest.isolateModules(() => {
                const replay = require("./driver/replay") as typeof import("./driver/replay");
                replay
                    .up(this.replayOptions(), this.config, this.secretKeys, () => require("../../index"))
                    .then((r) => {
                        result = r;
                        resolve();
                    }, reject);
            });
        });
        this.outputs = result.outputs;
        for (const k of result.replaced) log(`  replaced ${k}`);
        return result;
    }

    async destroy(): Promise<void> {
        log(`${this.stack}: pulumi destroy`);
        if (this.driver === "automation") await this.automation!.destroy();
        else await require("./driver/replay").destroy(this.replayOptions());
    }

    /** Every secret the stack holds: generated passwords and keys, and config secrets. */
    secretValues(): string[] {
        const fromConfig = this.secretKeys.map((k) => this.config[k]).filter((v) => v);
        const fromOutputs = [this.outputs.dbPassword, this.outputs.adminPassword].filter((v) => typeof v === "string");
        const fromState = this.driver === "replay" ? require("./driver/replay").secretValues(path.join(this.dir, "replay-state.json")) : [];
        return [...fromConfig, ...fromOutputs, ...fromState].flatMap((v: string) => pemBodies(v));
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    private replayOptions() {
        return { stack: this.stack, project: "nestflux", statePath: path.join(this.dir, "replay-state.json"), ensureImage: ensure, log: (l: string) => log(`  ${l}`) };
    }
}

/** A secret to search for: a PEM's base64 lines (any one of them leaking is a leak), or the value. */
function pemBodies(v: string): string[] {
    if (!v.includes("-----BEGIN")) return [v];
    return v.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"));
}

/** Containers of a stack, by the label every component sets. */
export function stackContainers(stack: string, all = false): any[] {
    const ids = dockerOk(["ps", ...(all ? ["-a"] : []), "-q", "--filter", `label=nestflux.stack=${stack}`]).split("\n").filter((s) => s);
    return ids.map((id) => inspect("container", id));
}

export function exec(container: string, cmd: string[], user?: string): { code: number; stdout: string; stderr: string } {
    return docker(["exec", ...(user ? ["-u", user] : []), container, ...cmd], { timeoutMs: 60000 });
}

/** A throwaway container on one of the stack's networks. */
export function runOn(network: string, image: string, args: string[], opts: { mounts?: string[]; user?: string; entrypoint?: string } = {}) {
    return docker(
        [
            "run", "--rm", "--network", network,
            ...(opts.user ? ["--user", opts.user] : []),
            ...(opts.entrypoint ? ["--entrypoint", opts.entrypoint] : []),
            ...(opts.mounts ?? []).flatMap((m) => ["-v", m]),
            image, ...args,
        ],
        { timeoutMs: 120000 },
    );
}

export function host(cmd: string, args: string[], input?: string): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(cmd, args, { encoding: "utf8", input, timeout: 120000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}
