import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SECRET_KEYS } from "../../components/config";
import { issueLeaf, makeCa } from "./certs";
import type { RunResult } from "./mock-engine";
import { stackConfig } from "./mock-engine";

/** Run the real index.ts under mocks with a stack file's config. */
export async function runIndex(stack: "dev" | "prod", extra: Record<string, string> = {}): Promise<RunResult> {
    const config = { ...stackConfig(stack), ...extra };
    const secrets = Object.keys(config).filter((k) => (SECRET_KEYS as readonly string[]).includes(k.split(":")[1]));
    let result!: RunResult;
    await new Promise<void>((resolve, reject) => {
        // A fresh module registry per run, so index.ts executes again for each stack; the engine
        // helper is loaded inside it too, so both share that run's copy of @pulumi/pulumi.
        jest.isolateModules(() => {
            const { runUnderMocks } = require("./mock-engine") as typeof import("./mock-engine");
            runUnderMocks(stack, config, () => require("../../index"), secrets).then((r) => {
                result = r;
                resolve();
            }, reject);
        });
    });
    return result;
}

/**
 * Run the stack program (what index.ts exports) once per config, in one module registry: loading
 * the SDK and providers once makes a run of many configs cheap. Each run gets fresh mocks.
 */
export async function runProgramMany(stack: "dev" | "prod", configs: Record<string, string>[]): Promise<RunResult[]> {
    const results: RunResult[] = [];
    let engine!: typeof import("./mock-engine");
    let program!: typeof import("../../program");
    jest.isolateModules(() => {
        engine = require("./mock-engine");
        program = require("../../program");
    });
    for (const extra of configs) {
        const config = { ...stackConfig(stack), ...extra };
        const secrets = Object.keys(config).filter((k) => (SECRET_KEYS as readonly string[]).includes(k.split(":")[1]));
        results.push(await engine.runUnderMocks(stack, config, () => program.nestfluxProgram(), secrets));
    }
    return results;
}

/** Private keys of the backup recipients this process made, by certificate: the operator's side. */
const recipientKeys = new Map<string, string>();

/** A certificate to encrypt backups to, as an operator makes one; its key stays with the caller. */
export function backupRecipient(): { certPem: string; keyPem: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestflux-backup-"));
    const pair = makeCa(dir, "backup", "RSA-3072", "/O=NestFlux operator/CN=NestFlux backups");
    fs.rmSync(dir, { recursive: true, force: true });
    recipientKeys.set(pair.certPem, pair.keyPem);
    return { certPem: pair.certPem, keyPem: pair.keyPem };
}

/** The private key of the backup recipient in a config made by prodCertificateConfig. */
export function backupKeyOf(config: Record<string, string>): string {
    const key = recipientKeys.get(config["nestflux:backupRecipientCertificate"]);
    if (!key) throw new Error("no backup recipient key for this config");
    return key;
}

/** What a prod operator sets with `pulumi config set`: a public certificate for the domain. */
export function prodCertificateConfig(domain = "nestflux.example.com"): Record<string, string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestflux-prod-"));
    const root = makeCa(dir, "public-ca", "ECDSA-P256", "/O=Test Public CA/CN=Test Public Root");
    const leaf = issueLeaf(dir, "edge", root, { commonName: domain, dnsNames: [domain], usage: "server", days: 90 });
    fs.rmSync(dir, { recursive: true, force: true });
    return {
        "nestflux:tlsCertificate": leaf.certPem,
        "nestflux:tlsChain": root.certPem,
        "nestflux:tlsPrivateKey": leaf.keyPem,
        // Backups are on in Pulumi.prod.yaml; the certificate they are encrypted to is the operator's.
        "nestflux:backupRecipientCertificate": backupRecipient().certPem,
    };
}
