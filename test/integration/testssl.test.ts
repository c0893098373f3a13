import * as fs from "fs";
import { Finding, TESTSSL_ALLOWLIST as allowlist, runTestssl, unexpectedFindings } from "../support/testssl";
import { NginxInstance, startNginx } from "./harness/nginx";
import { tempDir } from "./harness/process";
import { describeIntegration } from "./harness/requirements";
import { makeCa, KeyPair } from "../support/certs";
import { edgeCert } from "./harness/stack";

jest.setTimeout(600000);

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
        findings = runTestssl({ ip: "127.0.0.1", port: nginx.httpsPort, servername: "localhost", caPath: ca.certPath }, dir);
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
        expect(unexpectedFindings(findings)).toEqual([]);
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
