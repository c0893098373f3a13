import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

const SKIP = new Set(["node_modules", "dist", "coverage", ".git"]);

/**
 * sha256 over the relative paths and contents of every file below `dir`, in sorted order, so the
 * same tree always hashes the same and any edit changes the hash (the API image's build trigger).
 */
export function hashTree(dir: string): string {
    const hash = createHash("sha256");
    const walk = (rel: string) => {
        const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
        for (const e of entries) {
            const child = path.posix.join(rel, e.name);
            if (e.isDirectory()) {
                if (!SKIP.has(e.name)) walk(child);
            } else if (e.isFile()) {
                hash.update(child).update("\0").update(fs.readFileSync(path.join(dir, child))).update("\0");
            }
        }
    };
    walk("");
    return hash.digest("hex");
}
