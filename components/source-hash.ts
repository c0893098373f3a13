import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import dockerignore from "@balena/dockerignore";

/**
 * sha256 over the Docker build context of `dir`: the relative paths and contents of the files
 * `docker build` would send (`.dockerignore` applied with Docker's own matching rules), plus the
 * Dockerfile and .dockerignore, which shape the build even when they are not in the context. The
 * same context always hashes the same; an edit Docker never sees (a README, a test) changes nothing.
 */
export function hashBuildContext(dir: string, dockerfile = "Dockerfile"): string {
    const ignoreFile = path.join(dir, ".dockerignore");
    const patterns = fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8") : "";
    const ig = dockerignore().add(patterns);
    // An ignored directory may hold re-included files only when some pattern re-includes.
    const reincludes = patterns.split("\n").some((l) => l.trim().startsWith("!"));
    const always = new Set([dockerfile, ".dockerignore"]);

    const hash = createHash("sha256");
    const walk = (rel: string) => {
        const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
        for (const e of entries) {
            const child = rel === "" ? e.name : `${rel}/${e.name}`;
            if (e.isDirectory()) {
                if (reincludes || !ig.ignores(child)) walk(child);
            } else if (e.isFile() && (always.has(child) || !ig.ignores(child))) {
                hash.update(child).update("\0").update(fs.readFileSync(path.join(dir, child))).update("\0");
            }
        }
    };
    walk("");
    return hash.digest("hex");
}
