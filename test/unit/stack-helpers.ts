import type { Registered, RunResult } from "../support/mock-engine";
import { isSecret } from "../support/mock-engine";

export const CONTAINER = "docker:index/container:Container";
export const NETWORK = "docker:index/network:Network";

export function upload(c: Registered, file: string): { content: string; secret: boolean; permissions?: string; owner?: string } {
    const i = (c.inputs.uploads as any[]).findIndex((u) => u.file === file);
    if (i < 0) throw new Error(`${c.name} has no upload ${file}; it has ${(c.inputs.uploads as any[]).map((u) => u.file).join(", ")}`);
    const raw = c.rawInputs.uploads[i];
    return { ...c.inputs.uploads[i], secret: isSecret(raw.content) || isSecret(raw) };
}

export function networksOf(r: RunResult, c: Registered): { name: string; internal: boolean; aliases: string[] }[] {
    return (c.inputs.networksAdvanced as any[]).map((n) => {
        const net = r.byType(NETWORK).find((x) => x.inputs.name === n.name);
        if (!net) throw new Error(`${c.name} joins unknown network ${n.name}`);
        return { name: n.name, internal: Boolean(net.inputs.internal), aliases: n.aliases ?? [] };
    });
}

export function env(c: Registered): Record<string, string> {
    return Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}
