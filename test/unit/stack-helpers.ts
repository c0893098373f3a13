import type { Registered, RunResult } from "../support/mock-engine";
import { isSecret } from "../support/mock-engine";

export const CONTAINER = "docker:index/container:Container";
export const NETWORK = "docker:index/network:Network";
export const VOLUME = "docker:index/volume:Volume";
export const SERVICE_FILES = "nestflux:storage:ServiceFiles";

/** Where a seeding container receives its files, and the script it runs (components/service-files.ts). */
export const SEED_DIR = "/files";
export const SEED_SCRIPT = "/nestflux-seed.sh";

export interface Upload {
    file: string;
    content: string;
    /** Whether the content travels as a pulumi secret. */
    secret: boolean;
    permissions?: string;
}

/** One entry of a container's `uploads`, with its secrecy as sent to the engine. */
export function upload(c: Registered, file: string): Upload {
    const uploads = (c.inputs.uploads ?? []) as any[];
    const i = uploads.findIndex((u) => u.file === file);
    if (i < 0) throw new Error(`${c.name} has no upload ${file}; it has ${uploads.map((u) => u.file).join(", ") || "none"}`);
    const raw = c.rawInputs.uploads[i];
    return { ...uploads[i], secret: isSecret(raw.content) || isSecret(raw) };
}

/** Seeding containers: the one-shot containers of ServiceFiles components. */
export function seeders(r: RunResult): Registered[] {
    const parents = new Set(r.byType(SERVICE_FILES).map((x) => x.urn));
    return r.byType(CONTAINER).filter((c) => parents.has(c.parentUrn));
}

/** The seeding container that fills the named volume. */
export function seederOf(r: RunResult, volumeName: string): Registered {
    const found = seeders(r).filter((s) => (s.inputs.volumes ?? []).some((v: any) => v.volumeName === volumeName && v.containerPath === SEED_DIR));
    if (found.length !== 1) throw new Error(`expected one seeder of volume ${volumeName}, found ${found.map((s) => s.name).join(", ") || "none"}`);
    return found[0];
}

/** Mode and owner the seeding script gives each file (`chmod MODE name` / `chown UID:GID name`). */
export function seededModes(seeder: Registered): Record<string, { mode?: string; owner?: string }> {
    const out: Record<string, { mode?: string; owner?: string }> = {};
    for (const line of upload(seeder, SEED_SCRIPT).content.split("\n")) {
        const m = /^(chmod|chown) (\S+) (\S+)$/.exec(line);
        if (!m) continue;
        out[m[3]] ??= {};
        if (m[1] === "chmod") out[m[3]].mode = m[2];
        else out[m[3]].owner = m[2];
    }
    return out;
}

export interface MountedFile extends Upload {
    /** The volume mount the file is reached through. */
    mount: { volumeName: string; containerPath: string; readOnly?: boolean };
    seeder: Registered;
    /** Mode and owner the seeding script sets. */
    mode?: string;
    owner?: string;
}

/**
 * A file as a service container sees it at `path`: through the volume it mounts there, seeded by
 * a ServiceFiles container that received the file as an upload under /files.
 */
export function mountedFile(r: RunResult, c: Registered, path: string): MountedFile {
    const mounts = ((c.inputs.volumes ?? []) as any[]).filter((v) => v.volumeName && path.startsWith(`${v.containerPath}/`));
    if (mounts.length !== 1) throw new Error(`${c.name} mounts no single volume above ${path}`);
    const mount = mounts[0];
    const name = path.slice(mount.containerPath.length + 1);
    const seeder = seederOf(r, mount.volumeName);
    const file = upload(seeder, `${SEED_DIR}/${name}`);
    return { ...file, mount, seeder, ...seededModes(seeder)[name] };
}

/** Names of the files a service container finds under a mounted directory. */
export function mountedFileNames(r: RunResult, c: Registered, dir: string): string[] {
    const mount = ((c.inputs.volumes ?? []) as any[]).find((v) => v.containerPath === dir);
    if (!mount) throw new Error(`${c.name} mounts nothing at ${dir}`);
    return ((seederOf(r, mount.volumeName).inputs.uploads ?? []) as any[])
        .map((u) => u.file as string)
        .filter((f) => f.startsWith(`${SEED_DIR}/`))
        .map((f) => f.slice(SEED_DIR.length + 1))
        .sort();
}

export function label(c: Registered, name: string): string | undefined {
    return ((c.inputs.labels ?? []) as { label: string; value: string }[]).find((l) => l.label === name)?.value;
}

export function networksOf(r: RunResult, c: Registered): { name: string; internal: boolean; aliases: string[] }[] {
    return ((c.inputs.networksAdvanced ?? []) as any[]).map((n) => {
        const net = r.byType(NETWORK).find((x) => x.inputs.name === n.name);
        if (!net) throw new Error(`${c.name} joins unknown network ${n.name}`);
        return { name: n.name, internal: Boolean(net.inputs.internal), aliases: n.aliases ?? [] };
    });
}

export function env(c: Registered): Record<string, string> {
    return Object.fromEntries(((c.inputs.envs ?? []) as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}
