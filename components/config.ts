import { X509Certificate, createPrivateKey } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import {
    ConfigError,
    DEFAULTS,
    SETTINGS,
    SETTING_KEYS,
    SettingIssue,
    SettingKey,
    SettingSpec,
    Settings,
    settingIssues,
} from "./settings";

export * from "./settings";

/**
 * Stack settings: every setting of `SETTINGS`, validated, plus what the stack derives from them.
 * `index.ts` builds them from the stack config with `parseSettings`; library users build them
 * from typed values with `stackSettings`. Components never read config themselves.
 */

export type KeyAlgorithm = "ECDSA-P256" | "ECDSA-P384" | "RSA-2048" | "RSA-3072" | "RSA-4096";

export interface ProvidedCertificate {
    /** Leaf certificate PEM. */
    certificatePem: string;
    /** Intermediate chain PEM (may be empty when the leaf is signed by a root). */
    chainPem: string;
    /** Private key PEM. */
    privateKeyPem: pulumi.Output<string>;
    /** notAfter of the leaf, ISO 8601. */
    expiresAt: string;
}

/** Keys whose values are secrets. */
export type SecretKey = "jwtSecret" | "tlsPrivateKey";

/** Validated settings; the secret ones only as Pulumi secrets, from the moment they are checked. */
export interface StackSettings extends Omit<Settings, SecretKey> {
    /** Pulumi stack name: prefixes and labels every Docker object. */
    stack: string;
    /** The parsed certificate when certSource is provided. */
    provided?: ProvidedCertificate;
    /** The jwtSecret setting; undefined when it is empty (one is generated). */
    jwtSecret?: pulumi.Output<string>;
}

/** Config values as Pulumi stores them: strings. */
export type RawConfig = Partial<Record<SettingKey, string | undefined>>;

/** PEM files end with a newline; config values may have lost it. */
function pemText(v: string): string {
    return v === "" ? "" : `${v.trim()}\n`;
}

function parseProvided(s: Settings, issues: SettingIssue[]): ProvidedCertificate | undefined {
    const certificatePem = pemText(s.tlsCertificate);
    const chainPem = pemText(s.tlsChain);
    const privateKeyPem = pemText(s.tlsPrivateKey);
    const fail = (key: SettingKey, problem: string, got?: string) => {
        issues.push({ key, problem, got });
        return undefined;
    };
    if (certificatePem === "") return fail("tlsCertificate", "must hold a PEM certificate when certSource is provided", "");
    if (privateKeyPem === "") return fail("tlsPrivateKey", "must hold a PEM private key (set it with --secret) when certSource is provided");
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(certificatePem);
    } catch {
        return fail("tlsCertificate", "must be a PEM-encoded X.509 certificate", certificatePem.slice(0, 40));
    }
    if (chainPem !== "") {
        try {
            new X509Certificate(chainPem);
        } catch {
            return fail("tlsChain", "must be PEM-encoded X.509 certificates, or empty", chainPem.slice(0, 40));
        }
    }
    let key;
    try {
        key = createPrivateKey(privateKeyPem);
    } catch {
        return fail("tlsPrivateKey", "must be a PEM-encoded private key");
    }
    if (!cert.checkPrivateKey(key)) return fail("tlsPrivateKey", "must be the private key of tlsCertificate");
    if (cert.checkHost(s.domain) === undefined) {
        return fail("tlsCertificate", `must cover the domain ${s.domain} in its subject alternative names`, cert.subjectAltName ?? cert.subject);
    }
    return { certificatePem, chainPem, privateKeyPem: pulumi.secret(privateKeyPem), expiresAt: new Date(cert.validTo).toISOString() };
}

/**
 * Validate typed settings (defaults for the keys not given) for a stack. Collects every problem
 * and throws one ConfigError naming each key and what is allowed, before any resource exists.
 */
export function stackSettings(values: Partial<Settings>, stack: string): StackSettings {
    const s = { ...DEFAULTS, ...values } as Settings;
    const issues: SettingIssue[] = [];
    for (const key of Object.keys(values)) {
        if (!(key in SETTINGS)) issues.push({ key, problem: `is not a setting; the settings are ${SETTING_KEYS.join(", ")}`, got: "" });
    }
    issues.push(...settingIssues(s, SETTING_KEYS));
    if (issues.length === 0 && stack === "prod" && s.certSource !== "provided") {
        issues.push({ key: "certSource", problem: "must be provided on the prod stack (set tlsCertificate, tlsChain and tlsPrivateKey)", got: s.certSource });
    }
    const provided = issues.length === 0 && s.certSource === "provided" ? parseProvided(s, issues) : undefined;
    if (issues.length === 0 && s.backupRecipientCertificate !== "") {
        let type: string | undefined;
        try {
            type = new X509Certificate(pemText(s.backupRecipientCertificate)).publicKey.asymmetricKeyType;
        } catch {
            issues.push({ key: "backupRecipientCertificate", problem: "must be a PEM-encoded X.509 certificate", got: s.backupRecipientCertificate.slice(0, 40) });
        }
        // CMS can encrypt to RSA (key transport) and EC (key agreement) keys, not to signing-only ones.
        if (type !== undefined && type !== "rsa" && type !== "ec") {
            issues.push({ key: "backupRecipientCertificate", problem: "must carry an RSA or EC public key (CMS cannot encrypt to an Ed25519 or DSA key)", got: type });
        }
    }
    if (issues.length > 0) throw new ConfigError(issues);
    const { jwtSecret, tlsPrivateKey: _key, ...plain } = s;
    return { ...plain, stack, provided, jwtSecret: jwtSecret === "" ? undefined : pulumi.secret(jwtSecret) };
}

/** Parse raw config strings (as Pulumi stores them) into validated stack settings. */
export function parseSettings(raw: RawConfig, stack: string): StackSettings {
    const values: Partial<Record<SettingKey, unknown>> = {};
    for (const [key, v] of Object.entries(raw) as [SettingKey, string | undefined][]) {
        if (v === undefined || v === null) continue;
        const type = (SETTINGS[key] as SettingSpec | undefined)?.type;
        const text = String(v).trim();
        // Text that is not a number or a boolean stays text: the settings' own rule refuses it,
        // in the same words and together with every other problem.
        if (type === "integer" && /^\d{1,12}$/.test(text)) values[key] = Number(text);
        else if (type === "boolean" && (text === "true" || text === "false")) values[key] = text === "true";
        else values[key] = text;
    }
    return stackSettings(values as Partial<Settings>, stack);
}

/**
 * Index of the rotation window a moment falls in. A leaf certificate is re-issued when the index
 * changes, which happens `certEarlyRenewalHours` before a certificate issued at the window's
 * start expires. Needed because the tls provider ignores earlyRenewalHours (pulumi/pulumi-tls#39).
 */
export function rotationWindow(nowMs: number, certValidityHours: number, certEarlyRenewalHours: number): number {
    const windowMs = (certValidityHours - certEarlyRenewalHours) * 3600 * 1000;
    return Math.floor(nowMs / windowMs);
}
