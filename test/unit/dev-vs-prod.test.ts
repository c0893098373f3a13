import type { RunResult } from "../support/mock-engine";
import { stackConfig } from "../support/mock-engine";
import { prodCertificateConfig, runIndex } from "../support/stacks";

/** Resource identity with the stack name taken out. */
const ids = (r: RunResult) => new Set(r.resources.map((x) => `${x.type} ${x.name}`));

describe("dev and prod differ only by config", () => {
    let dev: RunResult;
    let prod: RunResult;
    beforeAll(async () => {
        dev = await runIndex("dev");
        prod = await runIndex("prod", prodCertificateConfig());
    }, 60_000);

    test("both stack files set the same keys", () => {
        expect(Object.keys(stackConfig("dev")).sort()).toEqual(Object.keys(stackConfig("prod")).sort());
    });

    test("the resource graphs differ exactly where config says they should", () => {
        const d = ids(dev);
        const p = ids(prod);
        const onlyDev = [...d].filter((x) => !p.has(x)).sort();
        const onlyProd = [...p].filter((x) => !d.has(x)).sort();
        // certSource=generated on dev issues the edge certificate from the private CA.
        expect(onlyDev).toEqual([
            "tls:index/certRequest:CertRequest nestflux-pki-edge-csr",
            "tls:index/locallySignedCert:LocallySignedCert nestflux-pki-edge-cert",
            "tls:index/privateKey:PrivateKey nestflux-pki-edge-key",
        ]);
        // apiReplicas=3, apiHttps=true, dbClientCerts=true (a client leaf per role) and
        // backupIntervalMinutes=60 (the backup container, its files and volume) on prod.
        expect(onlyProd).toEqual([
            "docker:index/container:Container nestflux-api-1",
            "docker:index/container:Container nestflux-api-2",
            "docker:index/container:Container nestflux-db-backup",
            "docker:index/container:Container nestflux-db-backup-files-seed",
            "docker:index/volume:Volume nestflux-db-backup-files-volume",
            "docker:index/volume:Volume nestflux-db-backups",
            "nestflux:storage:ServiceFiles nestflux-db-backup-files",
            "tls:index/certRequest:CertRequest nestflux-pki-api-csr",
            "tls:index/certRequest:CertRequest nestflux-pki-db-client-csr",
            "tls:index/certRequest:CertRequest nestflux-pki-db-dump-client-csr",
            "tls:index/certRequest:CertRequest nestflux-pki-db-owner-client-csr",
            "tls:index/locallySignedCert:LocallySignedCert nestflux-pki-api-cert",
            "tls:index/locallySignedCert:LocallySignedCert nestflux-pki-db-client-cert",
            "tls:index/locallySignedCert:LocallySignedCert nestflux-pki-db-dump-client-cert",
            "tls:index/locallySignedCert:LocallySignedCert nestflux-pki-db-owner-client-cert",
            "tls:index/privateKey:PrivateKey nestflux-pki-api-key",
            "tls:index/privateKey:PrivateKey nestflux-pki-db-client-key",
            "tls:index/privateKey:PrivateKey nestflux-pki-db-dump-client-key",
            "tls:index/privateKey:PrivateKey nestflux-pki-db-owner-client-key",
        ]);
    });

    test("shared resources keep the same hardening on both stacks", () => {
        const containers = dev.byType("docker:index/container:Container");
        expect(containers.length).toBeGreaterThan(0);
        for (const c of containers) {
            const twin = prod.resources.find((x) => x.type === c.type && x.name === c.name)!;
            for (const key of [
                "securityOpts",
                "capabilities",
                "readOnly",
                "restart",
                "maxRetryCount",
                "cpus",
                "entrypoints",
                "command",
                "user",
                "init",
                "tmpfs",
                "networkMode",
                "attach",
                "mustRun",
            ]) {
                expect([c.name, key, twin.inputs[key]]).toEqual([c.name, key, c.inputs[key]]);
            }
        }
    });

    test("running the same stack twice registers identical inputs (no churn)", async () => {
        const again = await runIndex("dev");
        expect(again.resources.map((x) => [x.name, x.inputs, x.replacementTrigger])).toEqual(dev.resources.map((x) => [x.name, x.inputs, x.replacementTrigger]));
    }, 60_000);
});
