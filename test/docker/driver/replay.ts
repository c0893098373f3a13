import { randomInt } from "crypto";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as dockerProvider from "./docker-provider";
import { Inputs, only } from "./strict";
import * as tls from "./tls";

/**
 * The replay driver: the real program under Pulumi's mocks, whose `newResource` applies each
 * resource to the real Docker engine the way the docker provider does and computes real outputs
 * for `tls:*` and `random:*`. A state file makes a second run behave like a second `pulumi up`:
 * unchanged inputs → nothing happens; changed inputs (or replacementTrigger) → replace, honouring
 * deleteBeforeReplace; resources gone from the program → deleted. `destroy` deletes everything
 * but what carries retainOnDelete.
 */

const SECRET_SIG = "4dabf18193072939515e22adb298388d";


interface Entry {
    type: string;
    name: string;
    id: string;
    inputs: Inputs;
    outputs: Inputs;
    trigger: unknown;
    deleteBeforeReplace: boolean;
    retainOnDelete: boolean;
    order: number;
}

interface State {
    seq: number;
    resources: Record<string, Entry>;
}

export interface ReplayOptions {
    stack: string;
    project: string;
    statePath: string;
    /** Makes sure an image reference exists in the engine (local, pulled or stand-in). */
    ensureImage: (ref: string) => Promise<unknown>;
    log?: (line: string) => void;
}

export interface UpResult {
    outputs: Record<string, unknown>;
    created: string[];
    replaced: string[];
    deleted: string[];
}

function unwrap(v: any): any {
    if (v && typeof v === "object" && v[SECRET_SIG]) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

function loadState(p: string): State {
    return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, "utf8")) : { seq: 0, resources: {} };
}

function saveState(p: string, s: State): void {
    // Holds secrets, as a real state file does: owner-only.
    fs.writeFileSync(p, JSON.stringify(s), { mode: 0o600 });
}

async function create(type: string, inputs: Inputs, opts: ReplayOptions): Promise<{ id: string; outputs: Inputs }> {
    switch (type) {
        case "docker:index/container:Container":
            return dockerProvider.createContainer(inputs);
        case "docker:index/network:Network":
            return dockerProvider.createNetwork(inputs);
        case "docker:index/volume:Volume":
            return dockerProvider.createVolume(inputs);
        case "docker:index/remoteImage:RemoteImage":
            return dockerProvider.createRemoteImage(inputs, opts.ensureImage);
        case "tls:index/privateKey:PrivateKey":
            return { id: "key", outputs: await tls.privateKey(inputs) };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { id: "cert", outputs: await tls.selfSignedCert(inputs) };
        case "tls:index/certRequest:CertRequest":
            return { id: "csr", outputs: await tls.certRequest(inputs) };
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { id: "cert", outputs: await tls.locallySignedCert(inputs) };
        case "random:index/randomPassword:RandomPassword":
            return { id: "none", outputs: randomPassword(inputs) };
        default:
            throw new Error(`the replay driver does not implement ${type}`);
    }
}

async function remove(e: Entry): Promise<void> {
    switch (e.type) {
        case "docker:index/container:Container":
            return dockerProvider.deleteContainer(e.id, e.inputs);
        case "docker:index/network:Network":
            return dockerProvider.deleteNetwork(e.id);
        case "docker:index/volume:Volume":
            return dockerProvider.deleteVolume(e.outputs.name);
        case "docker:index/remoteImage:RemoteImage":
            return dockerProvider.deleteRemoteImage(e.inputs);
        default:
            return; // tls and random live in the state only
    }
}

function randomPassword(inputs: Inputs): Inputs {
    only("random:RandomPassword", inputs, ["length", "special", "upper", "lower", "numeric", "keepers"]);
    let alphabet = "";
    if (inputs.upper !== false) alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if (inputs.lower !== false) alphabet += "abcdefghijklmnopqrstuvwxyz";
    if (inputs.numeric !== false) alphabet += "0123456789";
    if (inputs.special !== false) alphabet += "!@#$%&*()-_=+[]{}<>:?";
    const result = Array.from({ length: inputs.length }, () => alphabet[randomInt(alphabet.length)]).join("");
    return { ...inputs, result };
}

function same(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

/** Run `program` (it registers resources and returns stack outputs) as one `pulumi up`. */
export async function up(
    opts: ReplayOptions,
    config: Record<string, string>,
    secretKeys: string[],
    program: () => Record<string, unknown>,
): Promise<UpResult> {
    const state = loadState(opts.statePath);
    const log = opts.log ?? (() => undefined);
    const requests = new Map<string, any>();
    const seen = new Set<string>();
    const laterDeletes: Entry[] = [];
    const result: UpResult = { outputs: {}, created: [], replaced: [], deleted: [] };
    const failures: Error[] = [];
    let fail: (e: Error) => void = () => undefined;
    // An output that waits on a failed resource never resolves: the first failure ends the run.
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => undefined);

    const newResource = async (args: pulumi.runtime.MockResourceArgs): Promise<{ id: string; state: Inputs }> => {
        const key = `${args.type}::${args.name}`;
        const inputs = unwrap(args.inputs ?? {});
        if (!args.custom) return { id: "", state: {} };
        if (seen.has(key)) throw new Error(`two resources are named ${key}`);
        seen.add(key);
        const req = requests.get(key);
        const trigger = req?.hasReplacementTrigger?.() ? req.getReplacementTrigger()?.toJavaScript() : undefined;
        const dbr = req?.getDeletebeforereplace?.() ?? false;
        const retain = req?.getRetainondelete?.() ?? false;
        const prev = state.resources[key];
        try {
            if (prev && same(prev.inputs, inputs) && same(prev.trigger, trigger)) {
                return { id: prev.id, state: prev.outputs };
            }
            if (prev && dbr) {
                log(`replace (delete first) ${key}`);
                await remove(prev);
            }
            log(`${prev ? "replace" : "create"} ${key}`);
            const made = await create(args.type, inputs, opts);
            if (prev && !dbr) laterDeletes.push(prev);
            (prev ? result.replaced : result.created).push(key);
            state.resources[key] = { type: args.type, name: args.name, id: made.id, inputs, outputs: made.outputs, trigger, deleteBeforeReplace: dbr, retainOnDelete: retain, order: ++state.seq };
            saveState(opts.statePath, state);
            return { id: made.id, state: made.outputs };
        } catch (e) {
            failures.push(e as Error);
            fail(new Error(`${key}: ${(e as Error).message}`));
            throw e;
        }
    };

    // No await before program(): the caller's isolated module registry (a fresh copy of the
    // program, like a new `pulumi up`) only lasts for the synchronous part of this call.
    void pulumi.runtime.setMocks({ newResource, call: (args) => { throw new Error(`the replay driver does not implement the function ${args.token}`); } }, opts.project, opts.stack, false);
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        requests.set(`${req.getType()}::${req.getName()}`, req);
        return register(req, cb);
    };
    pulumi.runtime.setAllConfig(config, secretKeys);

    const exported = program();
    for (const [k, v] of Object.entries(exported)) {
        result.outputs[k] = pulumi.Output.isInstance(v) ? await Promise.race([new Promise((res) => (v as pulumi.Output<unknown>).apply(res)), failed]) : v;
    }
    // Let registrations that no output waits for finish too.
    let last = -1;
    for (let stable = 0; stable < 10; ) {
        await new Promise((r) => setTimeout(r, 100));
        stable = seen.size === last ? stable + 1 : 0;
        last = seen.size;
    }
    if (failures.length) await failed;

    const orphans = Object.entries(state.resources).filter(([k]) => !seen.has(k));
    for (const e of [...laterDeletes, ...orphans.map(([, e]) => e)].sort((a, b) => b.order - a.order)) {
        log(`delete ${e.type}::${e.name}`);
        if (!e.retainOnDelete) await remove(e);
        result.deleted.push(`${e.type}::${e.name}`);
    }
    for (const [k] of orphans) delete state.resources[k];
    saveState(opts.statePath, state);
    return result;
}

/** `pulumi destroy`: everything in reverse creation order; retainOnDelete objects stay. */
export async function destroy(opts: ReplayOptions): Promise<string[]> {
    const state = loadState(opts.statePath);
    const retained: string[] = [];
    for (const e of Object.values(state.resources).sort((a, b) => b.order - a.order)) {
        if (e.retainOnDelete) retained.push(`${e.type}::${e.name}`);
        else await remove(e);
        delete state.resources[`${e.type}::${e.name}`];
        saveState(opts.statePath, state);
    }
    fs.rmSync(opts.statePath, { force: true });
    return retained;
}

/** Every secret value the state holds (passwords, keys), for the "nothing secret leaks" checks. */
export function secretValues(statePath: string): string[] {
    const state = loadState(statePath);
    const out: string[] = [];
    for (const e of Object.values(state.resources)) {
        if (e.type === "random:index/randomPassword:RandomPassword") out.push(e.outputs.result);
        if (e.type === "tls:index/privateKey:PrivateKey") out.push(e.outputs.privateKeyPem, e.outputs.privateKeyPemPkcs8);
    }
    return out;
}
