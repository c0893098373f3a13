import { X509Certificate, createPrivateKey } from "crypto";
import bytes from "bytes";
import validator from "validator";
import { supportsUpstreamResolve, type TlsProfile } from "./render/nginx";
import type { TlsVersion } from "./render/postgres";

/**
 * Typed, validated stack settings. `index.ts` reads the stack config once through
 * `parseSettings`; components never read config themselves. Every rule throws a
 * `ConfigError` that names the key and what is allowed, before any resource exists.
 */

export const CONFIG_NAMESPACE = "nestflux";

export type KeyAlgorithm = "ECDSA-P256" | "ECDSA-P384" | "RSA-2048" | "RSA-3072" | "RSA-4096";
export type CertSource = "generated" | "provided";

export interface ProvidedCertificate {
    /** Leaf certificate PEM. */
    certificatePem: string;
    /** Intermediate chain PEM (may be empty when the leaf is signed by a root). */
    chainPem: string;
    /** Private key PEM: secret. */
    privateKeyPem: string;
    /** notAfter of the leaf, ISO 8601. */
    expiresAt: string;
}

export interface PkiSettings {
    source: CertSource;
    keyAlgorithm: KeyAlgorithm;
    caValidityHours: number;
    certValidityHours: number;
    earlyRenewalHours: number;
    /** Free-form value: changing it re-issues every leaf certificate. */
    rotation: string;
    provided?: ProvidedCertificate;
}

export interface NetworkSettings {
    edgeSubnet?: string;
    appSubnet?: string;
    dataSubnet?: string;
}

export interface DatabaseSettings {
    image: string;
    name: string;
    user: string;
    tlsMinVersion: TlsVersion;
    clientCertificates: boolean;
    memoryMb: number;
    cpus: string;
}

export interface ApiSettings {
    /** Image reference; empty means "build ./api". */
    image: string;
    replicas: number;
    https: boolean;
    memoryMb: number;
    cpus: string;
    corsOrigins: string[];
    /** From config secret `jwtSecret`; undefined means "generate one". */
    jwtSecret?: string;
    /** First admin account, created at start with a generated password; empty means none. */
    adminEmail: string;
}

export interface HstsSettings {
    maxAgeSeconds: number;
    includeSubDomains: boolean;
    preload: boolean;
}

export interface ProxySettings {
    image: string;
    /** Version of nginx in `image`: decides the HTTP/2 directive form. */
    nginxVersion: string;
    memoryMb: number;
    cpus: string;
    bindAddress: string;
    httpPort: number;
    httpsPort: number;
    tlsProfile: TlsProfile;
    hsts: HstsSettings;
    contentSecurityPolicy: string;
    permissionsPolicy: string;
    rateLimitPerSecond: number;
    rateLimitBurst: number;
    authRateLimitPerMinute: number;
    timeoutSeconds: number;
    clientMaxBodySize: string;
    /** Host directory with the built SPA; empty means a placeholder page. */
    spaDir: string;
    /** Host directory served for ACME http-01 challenges; empty turns it off. */
    acmeDir: string;
}

export interface StackSettings {
    stack: string;
    domain: string;
    pki: PkiSettings;
    networks: NetworkSettings;
    db: DatabaseSettings;
    api: ApiSettings;
    proxy: ProxySettings;
}

export class ConfigError extends Error {
    constructor(
        public readonly key: string,
        allowed: string,
        got: string | undefined,
    ) {
        super(`config ${CONFIG_NAMESPACE}:${key}: ${allowed} (got ${got === undefined ? "nothing" : JSON.stringify(got)})`);
        this.name = "ConfigError";
    }
}

/** Every key the program reads, with its default; Pulumi.yaml declares the same set. */
export const DEFAULTS = {
    domain: "localhost",
    bindAddress: "127.0.0.1",
    httpPort: "80",
    httpsPort: "443",
    tlsProfile: "intermediate",
    hstsMaxAge: "63072000",
    hstsIncludeSubDomains: "true",
    hstsPreload: "false",
    contentSecurityPolicy:
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests",
    permissionsPolicy: "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    certSource: "generated",
    keyAlgorithm: "ECDSA-P256",
    caValidityHours: "87600",
    certValidityHours: "2160",
    certEarlyRenewalHours: "720",
    certRotation: "",
    tlsCertificate: "",
    tlsChain: "",
    tlsPrivateKey: "",
    edgeSubnet: "",
    appSubnet: "",
    dataSubnet: "",
    dbImage: "postgres:17.12-trixie",
    dbName: "nestflux",
    dbUser: "nestflux",
    dbTlsMinVersion: "TLSv1.2",
    dbClientCerts: "false",
    dbMemory: "512MB",
    dbCpus: "1.0",
    apiImage: "",
    apiReplicas: "1",
    apiHttps: "false",
    apiMemory: "256MB",
    apiCpus: "1.0",
    corsOrigins: "",
    jwtSecret: "",
    adminEmail: "",
    proxyImage: "nginx:1.30.6-trixie",
    nginxVersion: "1.30.6",
    proxyMemory: "128MB",
    proxyCpus: "1.0",
    rateLimitRps: "10",
    rateLimitBurst: "20",
    authRateLimitRpm: "10",
    proxyTimeoutSeconds: "30",
    clientMaxBodySize: "1m",
    spaDir: "",
    acmeDir: "",
} as const;

export type ConfigKey = keyof typeof DEFAULTS;

/** Keys whose values are secrets: never echoed in errors, wrapped in pulumi.secret downstream. */
export const SECRET_KEYS: readonly ConfigKey[] = ["tlsPrivateKey", "jwtSecret"];

export type RawConfig = Partial<Record<ConfigKey, string | undefined>>;

class Reader {
    constructor(private readonly raw: RawConfig) {}

    str(key: ConfigKey): string {
        const v = this.raw[key];
        return v === undefined || v === null ? DEFAULTS[key] : String(v).trim();
    }

    oneOf<T extends string>(key: ConfigKey, allowed: readonly T[]): T {
        const v = this.str(key);
        if (!(allowed as readonly string[]).includes(v)) {
            throw new ConfigError(key, `must be one of ${allowed.join(", ")}`, v);
        }
        return v as T;
    }

    int(key: ConfigKey, min: number, max: number): number {
        const v = this.str(key);
        if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
            throw new ConfigError(key, `must be a whole number from ${min} to ${max}`, v);
        }
        return Number(v);
    }

    bool(key: ConfigKey): boolean {
        const v = this.str(key);
        if (v !== "true" && v !== "false") {
            throw new ConfigError(key, "must be true or false", v);
        }
        return v === "true";
    }

    memoryMb(key: ConfigKey, minMb: number): number {
        const v = this.str(key);
        const n = /^\d+(\.\d+)?\s*(b|kb|mb|gb|tb)$/i.test(v) ? bytes.parse(v) : null;
        if (n === null || Number.isNaN(n) || n < minMb * 1024 * 1024) {
            throw new ConfigError(key, `must be a size like 256MB or 1GB, at least ${minMb}MB`, v);
        }
        return Math.floor(n / (1024 * 1024));
    }

    cpus(key: ConfigKey): string {
        const v = this.str(key);
        if (!/^\d{1,3}(\.\d{1,2})?$/.test(v) || Number(v) < 0.1 || Number(v) > 256) {
            throw new ConfigError(key, "must be a number of CPUs from 0.1 to 256, such as 0.5 or 2", v);
        }
        return v;
    }

    cidr(key: ConfigKey): string | undefined {
        const v = this.str(key);
        if (v === "") return undefined;
        if (!validator.isIPRange(v, 4)) {
            throw new ConfigError(key, "must be an IPv4 CIDR such as 172.28.1.0/24, or empty for a Docker-assigned subnet", v);
        }
        return v;
    }

    imageRef(key: ConfigKey, allowEmpty = false): string {
        const v = this.str(key);
        if (allowEmpty && v === "") return v;
        // A tag or digest is required so that an image never floats to "latest" behind our back.
        if (!/^[a-z0-9][a-z0-9._\/:-]*(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/.test(v) || /:latest$/.test(v)) {
            throw new ConfigError(key, "must be an image reference pinned by a tag other than latest or by @sha256 digest", v);
        }
        return v;
    }
}

const HOSTNAME_OPTS = { require_tld: false, allow_underscores: false, allow_trailing_dot: false };

function parseProvided(r: Reader, domain: string): ProvidedCertificate {
    // PEM files end with a newline; config values may have lost it.
    const pem = (key: ConfigKey) => {
        const v = r.str(key);
        return v === "" ? "" : `${v}\n`;
    };
    const certificatePem = pem("tlsCertificate");
    const chainPem = pem("tlsChain");
    const privateKeyPem = pem("tlsPrivateKey");
    if (certificatePem === "") {
        throw new ConfigError("tlsCertificate", "must hold a PEM certificate when certSource is provided", undefined);
    }
    if (privateKeyPem === "") {
        throw new ConfigError("tlsPrivateKey", "must hold a PEM private key (set it with --secret) when certSource is provided", undefined);
    }
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(certificatePem);
    } catch {
        throw new ConfigError("tlsCertificate", "must be a PEM-encoded X.509 certificate", certificatePem.slice(0, 40));
    }
    if (chainPem !== "") {
        try {
            new X509Certificate(chainPem);
        } catch {
            throw new ConfigError("tlsChain", "must be PEM-encoded X.509 certificates, or empty", chainPem.slice(0, 40));
        }
    }
    let key;
    try {
        key = createPrivateKey(privateKeyPem);
    } catch {
        throw new ConfigError("tlsPrivateKey", "must be a PEM-encoded private key", "<secret>");
    }
    if (!cert.checkPrivateKey(key)) {
        throw new ConfigError("tlsPrivateKey", "must be the private key of tlsCertificate", "<secret>");
    }
    if (cert.checkHost(domain) === undefined) {
        throw new ConfigError("tlsCertificate", `must cover the domain ${domain} in its subject alternative names`, cert.subjectAltName ?? cert.subject);
    }
    return { certificatePem, chainPem, privateKeyPem, expiresAt: new Date(cert.validTo).toISOString() };
}

/** Parse and validate raw config values (strings, as Pulumi stores them) into typed settings. */
export function parseSettings(raw: RawConfig, stack: string): StackSettings {
    const r = new Reader(raw);

    const domain = r.str("domain");
    if (!validator.isFQDN(domain, HOSTNAME_OPTS)) {
        throw new ConfigError("domain", "must be a DNS host name such as app.example.com or localhost", domain);
    }
    const bindAddress = r.str("bindAddress");
    if (!validator.isIP(bindAddress)) {
        throw new ConfigError("bindAddress", "must be an IP address such as 127.0.0.1 or 0.0.0.0", bindAddress);
    }

    const source = r.oneOf<CertSource>("certSource", ["generated", "provided"]);
    const certValidityHours = r.int("certValidityHours", 24, 9528); // ≤ 397 days, the public-CA ceiling
    const earlyRenewalHours = r.int("certEarlyRenewalHours", 1, certValidityHours - 1);
    const caValidityHours = r.int("caValidityHours", certValidityHours, 175200);
    if (stack === "prod" && source !== "provided") {
        throw new ConfigError("certSource", "must be provided on the prod stack (set tlsCertificate, tlsChain and tlsPrivateKey)", source);
    }
    const pki: PkiSettings = {
        source,
        keyAlgorithm: r.oneOf<KeyAlgorithm>("keyAlgorithm", ["ECDSA-P256", "ECDSA-P384", "RSA-2048", "RSA-3072", "RSA-4096"]),
        caValidityHours,
        certValidityHours,
        earlyRenewalHours,
        rotation: r.str("certRotation"),
        provided: source === "provided" ? parseProvided(r, domain) : undefined,
    };

    const networks: NetworkSettings = {
        edgeSubnet: r.cidr("edgeSubnet"),
        appSubnet: r.cidr("appSubnet"),
        dataSubnet: r.cidr("dataSubnet"),
    };

    const ident = (key: ConfigKey, max: number) => {
        const v = r.str(key);
        if (!new RegExp(`^[a-z_][a-z0-9_]{0,${max - 1}}$`).test(v) || v === "postgres" || v.startsWith("pg_")) {
            throw new ConfigError(key, `must be a lower-case SQL identifier (letters, digits, underscore, at most ${max}), not postgres or pg_*`, v);
        }
        return v;
    };
    const db: DatabaseSettings = {
        image: r.imageRef("dbImage"),
        name: ident("dbName", 63),
        // The schema owner is <dbUser>_owner, which must fit in 63 characters too.
        user: ident("dbUser", 57),
        tlsMinVersion: r.oneOf<TlsVersion>("dbTlsMinVersion", ["TLSv1.2", "TLSv1.3"]),
        clientCertificates: r.bool("dbClientCerts"),
        memoryMb: r.memoryMb("dbMemory", 128),
        cpus: r.cpus("dbCpus"),
    };

    const corsOrigins = r.str("corsOrigins").split(",").map((s) => s.trim()).filter((s) => s !== "");
    for (const o of corsOrigins) {
        if (!validator.isURL(o, { protocols: ["https", "http"], require_protocol: true, require_tld: false, allow_fragments: false, allow_query_components: false }) || /\/./.test(o.replace(/^https?:\/\//, ""))) {
            throw new ConfigError("corsOrigins", "must be a comma-separated list of origins such as https://app.example.com", o);
        }
    }
    const jwtSecret = r.str("jwtSecret");
    if (jwtSecret !== "" && jwtSecret.length < 32) {
        throw new ConfigError("jwtSecret", "must be at least 32 characters, or unset to generate one", "<secret>");
    }
    const api: ApiSettings = {
        image: r.imageRef("apiImage", true),
        replicas: r.int("apiReplicas", 1, 64),
        https: r.bool("apiHttps"),
        memoryMb: r.memoryMb("apiMemory", 64),
        cpus: r.cpus("apiCpus"),
        corsOrigins,
        jwtSecret: jwtSecret === "" ? undefined : jwtSecret,
        adminEmail: r.str("adminEmail"),
    };
    if (api.adminEmail !== "" && !validator.isEmail(api.adminEmail, { require_tld: false })) {
        throw new ConfigError("adminEmail", "must be an e-mail address, or empty for no initial admin", api.adminEmail);
    }

    const httpPort = r.int("httpPort", 1, 65535);
    const httpsPort = r.int("httpsPort", 1, 65535);
    if (httpPort === httpsPort) {
        throw new ConfigError("httpsPort", "must differ from httpPort", String(httpsPort));
    }
    const nginxVersion = r.str("nginxVersion");
    if (!/^\d+\.\d+(\.\d+)?$/.test(nginxVersion) || !supportsUpstreamResolve(nginxVersion)) {
        // The proxy re-resolves API replicas through Docker's DNS (`server … resolve`).
        throw new ConfigError("nginxVersion", "must be the nginx version of proxyImage, 1.27.3 or later, such as 1.30.6", nginxVersion);
    }
    const headerValue = (key: ConfigKey) => {
        const v = r.str(key);
        if (v === "" || /["\r\n]/.test(v)) {
            throw new ConfigError(key, "must be a non-empty header value without quotes or line breaks", v);
        }
        return v;
    };
    const clientMaxBodySize = r.str("clientMaxBodySize");
    if (!/^\d+[kmg]?$/.test(clientMaxBodySize)) {
        throw new ConfigError("clientMaxBodySize", "must be an nginx size such as 512k, 1m or 10m", clientMaxBodySize);
    }
    const hostDir = (key: ConfigKey, what: string) => {
        const v = r.str(key);
        if (v !== "" && !/^\/[^\0]*$/.test(v)) {
            throw new ConfigError(key, `must be an absolute host path ${what}, or empty`, v);
        }
        return v;
    };
    const proxy: ProxySettings = {
        image: r.imageRef("proxyImage"),
        nginxVersion,
        memoryMb: r.memoryMb("proxyMemory", 32),
        cpus: r.cpus("proxyCpus"),
        bindAddress,
        httpPort,
        httpsPort,
        tlsProfile: r.oneOf<TlsProfile>("tlsProfile", ["intermediate", "modern"]),
        hsts: {
            // 63072000 s (two years) is the floor for the HSTS preload list.
            maxAgeSeconds: r.int("hstsMaxAge", 63072000, 1000000000),
            includeSubDomains: r.bool("hstsIncludeSubDomains"),
            preload: r.bool("hstsPreload"),
        },
        contentSecurityPolicy: headerValue("contentSecurityPolicy"),
        permissionsPolicy: headerValue("permissionsPolicy"),
        rateLimitPerSecond: r.int("rateLimitRps", 1, 100000),
        rateLimitBurst: r.int("rateLimitBurst", 0, 100000),
        authRateLimitPerMinute: r.int("authRateLimitRpm", 1, 6000),
        timeoutSeconds: r.int("proxyTimeoutSeconds", 1, 3600),
        clientMaxBodySize,
        spaDir: hostDir("spaDir", "to the built SPA"),
        acmeDir: hostDir("acmeDir", "for ACME http-01 challenge files"),
    };
    if (proxy.hsts.preload && !proxy.hsts.includeSubDomains) {
        throw new ConfigError("hstsPreload", "requires hstsIncludeSubDomains=true (a preload-list rule)", "true");
    }

    return { stack, domain, pki, networks, db, api, proxy };
}

/**
 * Index of the rotation window a moment falls in. A leaf certificate is re-issued when the index
 * changes, which happens `earlyRenewalHours` before a certificate issued at the window's start
 * expires. Needed because the tls provider ignores earlyRenewalHours (pulumi/pulumi-tls#39).
 */
export function rotationWindow(nowMs: number, validityHours: number, earlyRenewalHours: number): number {
    const windowMs = (validityHours - earlyRenewalHours) * 3600 * 1000;
    return Math.floor(nowMs / windowMs);
}
