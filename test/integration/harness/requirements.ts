import * as fs from "fs";
import * as path from "path";
import { isRoot, which } from "./process";

export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const API_DIST = path.join(__dirname, "..", "..", "..", "api", "dist", "main.js");

/** What the integration tier needs, and how to get it. */
export function missingRequirements(needsApi: boolean): string[] {
    const missing: string[] = [];
    for (const cmd of ["nginx", "openssl", "curl", "psql", "testssl", "runuser"]) {
        if (!which(cmd)) missing.push(cmd);
    }
    if (!fs.existsSync(path.join(PG_BIN, "postgres"))) missing.push(`${PG_BIN}/postgres`);
    if (needsApi && !fs.existsSync(API_DIST)) missing.push("api/dist (cd api && npm ci && npm run build)");
    if (!isRoot()) missing.push("root (PostgreSQL is started as the postgres user with runuser)");
    return missing;
}

/**
 * describe() when everything is there. In CI a missing piece fails the run; elsewhere the tier is
 * skipped with a message saying what to install, so it never passes by silently doing nothing.
 */
export function describeIntegration(name: string, body: () => void, opts: { needsApi?: boolean } = {}): void {
    const missing = missingRequirements(opts.needsApi ?? false);
    if (missing.length === 0) {
        describe(name, body);
        return;
    }
    const message = `integration tier needs: ${missing.join(", ")}. Install with: bash .ci/install`;
    if (process.env.CI) {
        describe(name, () => {
            test("requirements are installed", () => {
                throw new Error(message);
            });
        });
    } else {
        // eslint-disable-next-line no-console
        console.warn(`SKIPPED ${name}: ${message}`);
        describe.skip(name, body);
    }
}
