import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * testssl.sh against a TLS endpoint on this machine, and the project's rule for its findings:
 * nothing MEDIUM or worse beyond the written allowlist. The integration tier runs it against
 * the rendered nginx.conf on loopback, the Docker tier against the stack's published port.
 */

export interface Finding {
    id: string;
    severity: string;
    finding: string;
}

export const TESTSSL_ALLOWLIST: { id: string; reason: string }[] = JSON.parse(
    fs.readFileSync(path.join(__dirname, "testssl-allowlist.json"), "utf8"),
).findings;

export function runTestssl(target: { ip: string; port: number; servername: string; caPath: string }, dir: string): Finding[] {
    const json = path.join(dir, `testssl-${target.port}.json`);
    fs.rmSync(json, { force: true });
    const r = spawnSync(
        "testssl",
        ["--add-ca", target.caPath, "--jsonfile", json, "--quiet", "--color", "0", "--warnings", "off", "--fast", "--ip", target.ip, `${target.servername}:${target.port}`],
        { encoding: "utf8", timeout: 480000 },
    );
    if (!fs.existsSync(json)) throw new Error(`testssl wrote no findings (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(fs.readFileSync(json, "utf8"));
}

/** Findings at MEDIUM or worse that no allowlist entry covers, as readable lines. */
export function unexpectedFindings(findings: Finding[]): string[] {
    return findings
        .filter((f) => ["MEDIUM", "HIGH", "CRITICAL"].includes(f.severity) && !TESTSSL_ALLOWLIST.some((a) => a.id === f.id))
        .map((f) => `${f.severity} ${f.id}: ${f.finding}`);
}
