/**
 * Makes a pinned image reference usable on a machine that may have no registry access.
 *
 * Tests and local stacks pin official images (postgres, nginx, node). Where a registry is
 * reachable the real image wins; where it is not, an offline stand-in built from Debian packages
 * (see ./README.md) is tagged with the very same reference, so nothing else has to change.
 */
import { execFile } from "child_process";
import { existsSync } from "fs";
import * as path from "path";
import { promisify } from "util";

const run = promisify(execFile);

export type ImageSource = "local" | "pulled" | "stand-in";

/** Repository name → stand-in directory (next to this file). Only official images qualify. */
const STAND_INS: Record<string, string> = { postgres: "postgres", nginx: "nginx", node: "node" };

/** Labels set by every build.sh: which stand-in, and the hash of the recipe it was built from. */
const LABEL_STANDIN = "org.nestflux.standin";
const LABEL_RECIPE = "org.nestflux.standin.recipe";

/** A pull that cannot reach a registry should fail quickly, but a real pull of a big image must not be cut short. */
const PULL_TIMEOUT_MS = Number(process.env.NESTFLUX_PULL_TIMEOUT_MS ?? 120_000);
/** A first build runs debootstrap (a few minutes); later builds reuse the cached rootfs. */
const BUILD_TIMEOUT_MS = 20 * 60_000;

/**
 * The repository part of a reference, as the official-image namespace sees it:
 * "postgres:17", "library/postgres:17" and "docker.io/library/postgres:17" are all "postgres";
 * "bitnami/postgresql" or "ghcr.io/x/postgres" are not official and get no stand-in.
 */
function officialRepository(ref: string): string | undefined {
    const name = ref.split("@")[0];
    const lastSlash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    const repo = colon > lastSlash ? name.slice(0, colon) : name;
    const m = /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?(?:library\/)?([a-z0-9._-]+)$/.exec(repo);
    return m ? m[1] : undefined;
}

/** Directory of the stand-in recipe for `ref`, or undefined when there is none. */
export function standInFor(ref: string): string | undefined {
    const repo = officialRepository(ref);
    const dir = repo !== undefined && Object.prototype.hasOwnProperty.call(STAND_INS, repo) ? STAND_INS[repo] : undefined;
    if (dir === undefined) return undefined;
    const full = path.join(__dirname, dir);
    return existsSync(path.join(full, "build.sh")) ? full : undefined;
}

async function localLabels(ref: string): Promise<Record<string, string> | undefined> {
    try {
        const { stdout } = await run("docker", ["image", "inspect", "--format", "{{json .Config.Labels}}", ref]);
        return (JSON.parse(stdout.trim()) as Record<string, string> | null) ?? {};
    } catch {
        return undefined; // not present (or no engine: the pull below reports that better)
    }
}

/** The build.sh computes its own recipe hash, so the TypeScript side cannot drift from it. */
async function currentRecipeHash(dir: string, ref: string): Promise<string> {
    const { stdout } = await run("bash", [path.join(dir, "build.sh"), "--recipe-hash", ref]);
    return stdout.trim();
}

async function buildStandIn(dir: string, ref: string): Promise<void> {
    try {
        await run("bash", [path.join(dir, "build.sh"), ref], { timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        const tail = (err.stderr ?? "").trim().split("\n").slice(-20).join("\n");
        throw new Error(`building the stand-in for ${ref} (${dir}/build.sh) failed: ${err.message}\n${tail}`);
    }
}

async function tryPull(ref: string): Promise<boolean> {
    try {
        await run("docker", ["pull", "--quiet", ref], { timeout: PULL_TIMEOUT_MS });
        return true;
    } catch {
        return false;
    }
}

/** Concurrent callers asking for the same ref share one build instead of racing two. */
const inFlight = new Map<string, Promise<{ ref: string; source: ImageSource }>>();

/**
 * Ensures `ref` exists in the local engine: kept if present (unless it is a stand-in built from
 * an older recipe), else pulled, else built as a stand-in. Throws for a ref that cannot be pulled
 * and has no stand-in, naming the ones there are.
 */
export function ensureImage(ref: string): Promise<{ ref: string; source: ImageSource }> {
    let p = inFlight.get(ref);
    if (!p) {
        p = resolveImage(ref).finally(() => inFlight.delete(ref));
        inFlight.set(ref, p);
    }
    return p;
}

async function resolveImage(ref: string): Promise<{ ref: string; source: ImageSource }> {
    const labels = await localLabels(ref);
    if (labels !== undefined) {
        const dir = labels[LABEL_STANDIN] !== undefined ? standInFor(ref) : undefined;
        if (dir === undefined || labels[LABEL_RECIPE] === (await currentRecipeHash(dir, ref))) {
            return { ref, source: "local" };
        }
        await buildStandIn(dir, ref); // the recipe changed since this stand-in was built
        return { ref, source: "stand-in" };
    }
    if (await tryPull(ref)) return { ref, source: "pulled" };

    const dir = standInFor(ref);
    if (dir === undefined) {
        throw new Error(
            `image ${ref} is not present locally, cannot be pulled, and has no offline stand-in ` +
                `(stand-ins exist for the official ${Object.keys(STAND_INS).join(", ")} images)`,
        );
    }
    if (ref.includes("@")) {
        // A stand-in cannot have the pinned content digest, and Docker cannot tag by digest.
        throw new Error(`image ${ref} cannot be pulled, and a stand-in cannot satisfy a digest-pinned reference; pin it by tag instead`);
    }
    await buildStandIn(dir, ref);
    return { ref, source: "stand-in" };
}
