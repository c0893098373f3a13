import * as fs from "fs";
import * as path from "path";
import { NginxInstance, startNginx } from "./harness/nginx";
import { run, tempDir } from "./harness/process";
import { describeIntegration } from "./harness/requirements";
import { makeCa, KeyPair } from "../support/certs";
import { edgeCert } from "./harness/stack";

jest.setTimeout(600000);

interface Finding {
    id: string;
    severity: string;
    finding: string;
}

const allowlist: { id: string; reason: string }[] = JSON.parse(fs.readFileSync(path.join(__dirname, "testssl-allowlist.json"), "utf8")).findings;

describeIntegration("testssl.sh against the rendered proxy", () => {
    let dir: string;
    let ca: KeyPair;
    let nginx: NginxInstance;
    let findings: Finding[];

    beforeAll(async () => {
        dir = tempDir("testssl");
        ca = makeCa(dir);
        const edge = edgeCert(dir, ca);
        // testssl only speaks to the TLS front; the upstream is never reached.
        nginx = await startNginx({ upstreams: ["127.0.0.1:9"], certificatePath: edge.certPath, keyPath: edge.keyPath });
        const json = path.join(dir, "testssl.json");
        const r = run(
            "testssl",
            ["--add-ca", ca.certPath, "--jsonfile", json, "--quiet", "--color", "0", "--warnings", "off", "--fast", "--ip", "127.0.0.1", `localhost:${nginx.httpsPort}`],
            { timeoutMs: 480000 },
        );
        if (!fs.existsSync(json)) throw new Error(`testssl wrote no findings (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
        findings = JSON.parse(fs.readFileSync(json, "utf8"));
    });
    afterAll(async () => {
        await nginx?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test("testssl ran its checks", () => {
        expect(findings.length).toBeGreaterThan(50);
        expect(findings.find((f) => f.id === "scanProblem")).toBeUndefined();
    });

    test("no MEDIUM, HIGH or CRITICAL finding outside the written allowlist", () => {
        const bad = findings.filter((f) => ["MEDIUM", "HIGH", "CRITICAL"].includes(f.severity) && !allowlist.some((a) => a.id === f.id));
        expect(bad.map((f) => `${f.severity} ${f.id}: ${f.finding}`)).toEqual([]);
    });

    test("every allowlist entry has a reason and still matches a finding", () => {
        for (const a of allowlist) {
            expect(a.reason.length).toBeGreaterThan(20);
            expect(findings.some((f) => f.id === a.id)).toBe(true);
        }
    });

    test("testssl sees TLS 1.2 and 1.3 offered, older protocols not", () => {
        const proto = (id: string) => findings.find((f) => f.id === id)?.finding ?? "";
        expect(proto("TLS1_2")).toMatch(/^offered/);
        expect(proto("TLS1_3")).toMatch(/^offered/);
        for (const old of ["SSLv2", "SSLv3", "TLS1", "TLS1_1"]) expect(proto(old)).toMatch(/^not offered/);
    });

    test("the chain of trust to our CA is verified", () => {
        const trust = findings.filter((f) => f.id.startsWith("cert_chain_of_trust"));
        expect(trust.length).toBeGreaterThan(0);
        expect(trust.every((f) => /passed/i.test(f.finding))).toBe(true);
    });
});
