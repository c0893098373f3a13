import bytes from "bytes";
import validator from "validator";
import { API_SETTINGS, ApiSetting, apiSettingProblem, ApiSettingKey, jwtSecretProblem } from "../api/src/config/contract";
import { supportsUpstreamResolve } from "./render/nginx";

/**
 * Every setting of the stack, defined once: its type, default, meaning and rule. `Pulumi.yaml`'s
 * config block and the README's configuration reference are generated from this table
 * (`npm run gen:settings`); the settings shared with the API take their default and rule from the
 * API's own contract (api/src/config/contract.ts). A setting keeps its name from the config key
 * to the component argument and the renderer input; the API spells it as an environment variable.
 */

export type SettingType = "string" | "integer" | "boolean";

export interface SettingSpec<T extends SettingType = SettingType> {
    type: T;
    default: T extends "integer" ? number : T extends "boolean" ? boolean : string;
    description: string;
    /** Pulumi keeps it encrypted; errors never echo it. */
    secret?: true;
    /** Whole-number bounds (integer settings). */
    min?: number;
    max?: number;
    /** What is wrong with a value ("must be …"), or undefined when it is valid. */
    problem?: (value: string) => string | undefined;
}

const str = (d: string, description: string, problem?: SettingSpec["problem"], secret?: true): SettingSpec<"string"> => ({
    type: "string",
    default: d,
    description,
    ...(problem ? { problem } : {}),
    ...(secret ? { secret } : {}),
});
const int = (d: number, min: number, max: number, description: string): SettingSpec<"integer"> => ({ type: "integer", default: d, min, max, description });
const bool = (d: boolean, description: string): SettingSpec<"boolean"> => ({ type: "boolean", default: d, description });
const oneOf = (allowed: readonly string[]) => (v: string) => (allowed.includes(v) ? undefined : `must be one of ${allowed.join(", ")}`);

/** A setting the API enforces too: default, bounds and rule from the shared contract. */
function sharedInt(key: ApiSettingKey): SettingSpec<"integer"> {
    const s = API_SETTINGS[key] as ApiSetting<number>;
    return { type: "integer", default: s.default, min: s.rule.min, max: s.rule.max, description: s.description };
}
function sharedStr(key: ApiSettingKey): SettingSpec<"string"> {
    const s = API_SETTINGS[key] as ApiSetting<string>;
    return { type: "string", default: s.default, description: s.description, problem: (v) => apiSettingProblem(key, v) };
}

// ---- rules -------------------------------------------------------------------------------------

/** Printable ASCII only. Control characters and line breaks would end a directive; `"` ends the
 * quoted value; `$` and `\` start nginx variables and escapes, which nginx refuses or expands. */
const HEADER_SAFE = /^[\x20-\x7e]*$/;
function headerValueProblem(v: string): string | undefined {
    if (v === "" || v.length > 4096 || !HEADER_SAFE.test(v) || /["$\\]/.test(v)) {
        return 'must be a non-empty header value of at most 4096 printable ASCII characters, without ", $ or \\';
    }
    return undefined;
}

function hostNameProblem(v: string): string | undefined {
    // ASCII only: an internationalised name must be given in its punycode (xn--) form, the one
    // certificates and the Host header carry.
    return /^[a-z0-9.-]+$/i.test(v) && validator.isFQDN(v, { require_tld: false, allow_underscores: false, allow_trailing_dot: false }) && v.length <= 253
        ? undefined
        : "must be a DNS host name such as app.example.com or localhost";
}

function ipProblem(v: string): string | undefined {
    return validator.isIP(v) ? undefined : "must be an IP address such as 127.0.0.1 or 0.0.0.0";
}

/** An IPv4 CIDR as [network, prefix length], when it is one in canonical form (no host bits). */
export function parseCidr(v: string): [number, number] | undefined {
    if (!validator.isIPRange(v, 4)) return undefined;
    const [ip, len] = v.split("/");
    const addr = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
    const prefix = Number(len);
    const size = 2 ** (32 - prefix);
    return addr % size === 0 ? [addr, prefix] : undefined;
}

function cidrProblem(v: string): string | undefined {
    if (v === "") return undefined;
    const parsed = parseCidr(v);
    // Docker needs room for the gateway and the containers: /29 is the smallest useful subnet.
    return parsed && parsed[1] <= 29 ? undefined : "must be an IPv4 network in CIDR form with no host bits, /29 or larger, such as 172.28.1.0/24, or empty for a Docker-assigned subnet";
}

function overlaps(a: string, b: string): boolean {
    const [x, px] = parseCidr(a)!;
    const [y, py] = parseCidr(b)!;
    const size = 2 ** (32 - Math.min(px, py));
    return Math.floor(x / size) === Math.floor(y / size);
}

const IMAGE_REF = /^[a-z0-9][a-z0-9._\/:-]{0,254}(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;
/** A tag or digest is required so that an image never floats to "latest" behind our back. */
function imageProblem(allowEmpty: boolean) {
    return (v: string) =>
        (allowEmpty && v === "") || (IMAGE_REF.test(v) && !/:latest$/.test(v))
            ? undefined
            : `must be an image reference pinned by a tag other than latest or by @sha256 digest${allowEmpty ? ", or empty" : ""}`;
}

/** Megabytes of a size like 512MB or 1GB, or undefined when it is not one. */
export function memoryMb(v: string): number | undefined {
    const n = /^\d{1,7}(\.\d{1,3})?\s?(b|kb|mb|gb|tb)$/i.test(v) ? bytes.parse(v) : null;
    return n === null || Number.isNaN(n) ? undefined : Math.floor(n / (1024 * 1024));
}
function memoryProblem(minMb: number) {
    return (v: string) => {
        const mb = memoryMb(v);
        return mb === undefined || mb < minMb || mb > 1024 * 1024 ? `must be a size like 256MB or 1GB, from ${minMb}MB to 1TB` : undefined;
    };
}

function cpusProblem(v: string): string | undefined {
    return /^\d{1,3}(\.\d{1,2})?$/.test(v) && Number(v) >= 0.1 && Number(v) <= 256
        ? undefined
        : "must be a number of CPUs from 0.1 to 256, such as 0.5 or 2";
}

/** PostgreSQL's reserved key words (SQL Key Words appendix) and role names it keeps for itself. */
const SQL_RESERVED = new Set(
    (
        "all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation column concurrently " +
        "constraint create cross current_catalog current_date current_role current_schema current_time current_timestamp current_user default " +
        "deferrable desc distinct do else end except false fetch for foreign freeze from full grant group having ilike in initially inner " +
        "intersect into is isnull join lateral leading left like limit localtime localtimestamp natural none not notnull null offset on only or " +
        "order outer overlaps placing primary public references returning right select session_user similar some symmetric system_user table " +
        "tablesample then to trailing true union unique user using variadic verbose when where window with"
    ).split(" "),
);

function sqlIdentProblem(max: number) {
    return (v: string) =>
        new RegExp(`^[a-z_][a-z0-9_]{0,${max - 1}}$`).test(v) && v !== "postgres" && !v.startsWith("pg_") && !SQL_RESERVED.has(v)
            ? undefined
            : `must be a lower-case SQL identifier (letters, digits, underscore, at most ${max}), not postgres, pg_* or an SQL reserved word`;
}

function hostDirProblem(what: string) {
    // Docker takes the path as a mount source: absolute, no control characters, no `:` (the
    // separator of the short volume syntax), and nothing that climbs out of it.
    return (v: string) =>
        v === "" || (/^\/[\x20-\x7e]*$/.test(v) && !/[:,]/.test(v) && !/(^|\/)\.\.?(\/|$)/.test(v) && v.length <= 1024)
            ? undefined
            : `must be an absolute host path ${what} (printable, without :, commas or . and .. segments), or empty`;
}

/** The nginx version an official image's tag names (`nginx:1.30.6-trixie` → 1.30.6, `nginx:1.26` → 1.26), if any. */
export function nginxTagVersion(image: string): string | undefined {
    return /^(?:docker\.io\/)?(?:library\/)?nginx:(\d+\.\d+(?:\.\d+)?)(?:-[\w.-]+)?$/.exec(image)?.[1];
}

function proxyImageProblem(v: string): string | undefined {
    const pinned = imageProblem(false)(v);
    if (pinned) return pinned;
    // The proxy re-resolves API replicas through Docker's DNS (`server … resolve`).
    const version = nginxTagVersion(v);
    // A branch tag (1.27) follows the branch's newest release: 1.27 is accepted, 1.26 is not.
    const full = version && version.split(".").length === 2 ? `${version}.99` : version;
    return full && !supportsUpstreamResolve(full) ? `must hold nginx 1.27.3 or later (the tag names ${version})` : undefined;
}

function emailProblem(v: string): string | undefined {
    // The API checks ADMIN_EMAIL with class-validator's IsEmail (validator's defaults): the same rule.
    return v === "" || (validator.isEmail(v) && v.length <= 254) ? undefined : "must be an e-mail address with a top-level domain, or empty for no initial admin";
}

function pemProblem(v: string): string | undefined {
    return v === "" || /^-----BEGIN [A-Z0-9 ]+-----[\s\S]*-----END [A-Z0-9 ]+-----\s*$/.test(v) ? undefined : "must be PEM text (-----BEGIN …), or empty";
}

function jwtSecretRule(v: string): string | undefined {
    return v === "" ? undefined : (jwtSecretProblem(v) && `${jwtSecretProblem(v)}, or unset to generate one`);
}

function freeTextProblem(v: string): string | undefined {
    return /^[\x20-\x7e]{0,256}$/.test(v) ? undefined : "must be at most 256 printable ASCII characters";
}

// ---- the table, by the component that acts on it -----------------------------------------------

/** Read by several components. */
export const STACK_SETTINGS = {
    domain: str("localhost", "Public host name served by the proxy; the edge certificate must cover it.", hostNameProblem),
};

/** `PrivateCa` and the edge certificate. */
export const PKI_SETTINGS = {
    certSource: str("generated", "generated (private CA issues the edge certificate) or provided (tlsCertificate/tlsChain/tlsPrivateKey).", oneOf(["generated", "provided"])),
    keyAlgorithm: str("ECDSA-P256", "Key algorithm of the CA and leaves: ECDSA-P256, ECDSA-P384, RSA-2048, RSA-3072, RSA-4096.", oneOf(["ECDSA-P256", "ECDSA-P384", "RSA-2048", "RSA-3072", "RSA-4096"])),
    caValidityHours: int(87600, 24, 175200, "Private CA lifetime in hours (at least certValidityHours)."),
    // ≤ 397 days, the public-CA ceiling.
    certValidityHours: int(2160, 24, 9528, "Leaf certificate lifetime in hours (24 to 9528)."),
    certEarlyRenewalHours: int(720, 1, 9527, "Leaves are re-issued on the first pulumi up this many hours before they expire (below certValidityHours)."),
    certRotation: str("", "Any new value re-issues every generated leaf certificate and key.", freeTextProblem),
    tlsCertificate: str("", "Provided edge certificate (PEM); used when certSource is provided.", pemProblem),
    tlsChain: str("", "Provided intermediate chain (PEM); enables OCSP stapling.", pemProblem),
    tlsPrivateKey: str("", "Provided edge private key (PEM). Set with --secret.", pemProblem, true),
};

/** `Networks`. */
export const NETWORK_SETTINGS = {
    edgeSubnet: str("", "Fixed CIDR of the edge network; empty lets Docker choose.", cidrProblem),
    appSubnet: str("", "Fixed CIDR of the app network; empty lets Docker choose.", cidrProblem),
    dataSubnet: str("", "Fixed CIDR of the data network; empty lets Docker choose.", cidrProblem),
};

/** `Postgres`. */
export const DB_SETTINGS = {
    dbImage: str("postgres:17.12-trixie", "PostgreSQL image, pinned by tag or digest.", imageProblem(false)),
    dbName: str("nestflux", "Database name.", sqlIdentProblem(63)),
    // The schema owner is <dbUser>_owner, which must fit in 63 characters too.
    dbUser: str("nestflux", "Database role the API logs in as (data access only; <dbUser>_owner owns the schema and runs migrations); at most 57 characters.", sqlIdentProblem(57)),
    dbTlsMinVersion: str("TLSv1.2", "Lowest TLS version PostgreSQL accepts: TLSv1.2 or TLSv1.3.", oneOf(["TLSv1.2", "TLSv1.3"])),
    dbClientCerts: bool(false, "Require client certificates from the API (clientcert=verify-full)."),
    dbMemory: str("512MB", "Memory limit of the database container, e.g. 512MB.", memoryProblem(128)),
    dbCpus: str("1.0", "CPU limit of the database container (0.1 to 256).", cpusProblem),
    backupIntervalMinutes: int(0, 0, 10080, "Minutes between encrypted backups of the database (pg_dump, custom format); 0 turns backups off."),
    backupRetentionDays: int(14, 1, 3650, "Backups older than this many days are deleted after each new backup."),
    backupRecipientCertificate: str(
        "",
        "X.509 certificate (PEM) whose public key every backup is encrypted to; keep its private key off the stack. Required when backups are on.",
        pemProblem,
    ),
};

/** `Api`, and the secrets `NestFluxStack` generates when they are empty. */
export const API_SETTINGS_TABLE = {
    apiImage: str("", "API image reference; empty builds ./api.", imageProblem(true)),
    apiReplicas: int(1, 1, 64, "Number of API containers behind the proxy (1 to 64)."),
    apiHttps: bool(false, "API serves HTTPS itself; nginx then verifies it (proxy_ssl_verify)."),
    apiMemory: str("256MB", "Memory limit of each API container.", memoryProblem(64)),
    apiCpus: str("1.0", "CPU limit of each API container (0.1 to 256).", cpusProblem),
    corsOrigins: sharedStr("corsOrigins"),
    jwtTtl: sharedStr("jwtTtl"),
    jwtSecret: str("", "JWT signing secret (at least 32 characters; set with --secret); empty generates one.", jwtSecretRule, true),
    adminEmail: str("", "E-mail of the initial API admin; its password is generated and exported as the secret output adminPassword. Empty creates none.", emailProblem),
};

/** `EdgeProxy`; the limits and the body size reach the API too. */
export const PROXY_SETTINGS = {
    bindAddress: str("127.0.0.1", "Host address the proxy ports are published on (127.0.0.1 = this machine only).", ipProblem),
    httpPort: int(80, 1, 65535, "Host port for HTTP (answers 301 to HTTPS)."),
    httpsPort: int(443, 1, 65535, "Host port for HTTPS."),
    tlsProfile: str("intermediate", "intermediate (TLS 1.2 + 1.3, Mozilla intermediate ciphers) or modern (TLS 1.3 only).", oneOf(["intermediate", "modern"])),
    // 63072000 s (two years) is the floor for the HSTS preload list.
    hstsMaxAge: int(63072000, 63072000, 1000000000, "Strict-Transport-Security max-age in seconds (at least 63072000)."),
    hstsIncludeSubDomains: bool(true, "Add includeSubDomains to HSTS."),
    hstsPreload: bool(false, "Add preload to HSTS (requires hstsIncludeSubDomains)."),
    contentSecurityPolicy: str(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests",
        "Content-Security-Policy header value.",
        headerValueProblem,
    ),
    permissionsPolicy: str("camera=(), microphone=(), geolocation=(), payment=(), usb=()", "Permissions-Policy header value.", headerValueProblem),
    proxyImage: str(
        "nginx:1.30.6-trixie",
        "nginx image, pinned by tag or digest; nginx 1.27.3 or later (it re-resolves API replicas through Docker's DNS), checked when the tag names the version.",
        proxyImageProblem,
    ),
    proxyMemory: str("128MB", "Memory limit of the proxy container.", memoryProblem(32)),
    proxyCpus: str("1.0", "CPU limit of the proxy container (0.1 to 256).", cpusProblem),
    rateLimitRps: sharedInt("rateLimitRps"),
    rateLimitBurst: sharedInt("rateLimitBurst"),
    authRateLimitRpm: sharedInt("authRateLimitRpm"),
    authRateLimitBurst: sharedInt("authRateLimitBurst"),
    proxyTimeoutSeconds: int(30, 1, 3600, "Upstream read/send timeout in seconds."),
    clientMaxBodySize: sharedStr("clientMaxBodySize"),
    spaDir: str("", "Absolute host path of the built SPA; empty serves a placeholder page.", hostDirProblem("to the built SPA")),
    acmeDir: str("", "Absolute host path served at /.well-known/acme-challenge/ on HTTP (ACME http-01); empty turns it off.", hostDirProblem("for ACME http-01 challenge files")),
};

/** Every key, in the order of Pulumi.yaml and the README. */
export const SETTINGS = {
    ...STACK_SETTINGS,
    ...PROXY_SETTINGS,
    ...PKI_SETTINGS,
    ...NETWORK_SETTINGS,
    ...DB_SETTINGS,
    ...API_SETTINGS_TABLE,
};

type ValueOf<S> = S extends SettingSpec<"integer"> ? number : S extends SettingSpec<"boolean"> ? boolean : string;
export type ValuesOf<T> = { [K in keyof T]: ValueOf<T[K]> };

export type SettingKey = keyof typeof SETTINGS;
/** Typed values of every setting: what library users pass, what components receive. */
export type Settings = ValuesOf<typeof SETTINGS>;

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
export const SECRET_KEYS: readonly SettingKey[] = SETTING_KEYS.filter((k) => (SETTINGS[k] as SettingSpec).secret);

/** Every default, typed. */
export const DEFAULTS: Settings = Object.fromEntries(SETTING_KEYS.map((k) => [k, SETTINGS[k].default])) as Settings;

/** What is wrong with one value of a setting ("must be …"), or undefined when it is valid. */
export function settingProblem(key: SettingKey, value: unknown): string | undefined {
    const spec = SETTINGS[key] as SettingSpec;
    switch (spec.type) {
        case "integer":
            return typeof value === "number" && Number.isInteger(value) && value >= spec.min! && value <= spec.max!
                ? undefined
                : `must be a whole number from ${spec.min} to ${spec.max}`;
        case "boolean":
            return typeof value === "boolean" ? undefined : "must be true or false";
        default:
            if (typeof value !== "string") return "must be a string";
            return spec.problem?.(value);
    }
}

/** One thing wrong with one setting. */
export interface SettingIssue {
    key: string;
    problem: string;
    /** The offending value as shown: absent for secrets. */
    got?: string;
}

/**
 * Every problem with a set of settings, each naming its key and what is allowed. `where` says
 * whose settings they are: `config nestflux:` for the stack config, a component's name otherwise.
 */
export class ConfigError extends Error {
    /** The first offending key. */
    public readonly key: string;

    constructor(
        public readonly issues: SettingIssue[],
        where = `config ${CONFIG_NAMESPACE}:`,
    ) {
        super(issues.map((i) => `${where}${i.key}: ${i.problem} (got ${i.got === undefined ? "<secret>" : JSON.stringify(i.got)})`).join("\n"));
        this.name = "ConfigError";
        this.key = issues[0]?.key ?? "";
    }
}

export const CONFIG_NAMESPACE = "nestflux";

export function shown(key: string, value: unknown): string | undefined {
    return SECRET_KEYS.includes(key as SettingKey) ? undefined : String(value).length > 200 ? `${String(value).slice(0, 200)}…` : String(value);
}

type Issue = Omit<SettingIssue, "got">;

/** Rules that tie keys together, each naming the key a user would change. */
const CROSS_RULES: { keys: SettingKey[]; check: (s: Settings) => Issue | undefined }[] = [
    {
        keys: ["certEarlyRenewalHours", "certValidityHours"],
        check: (s) =>
            s.certEarlyRenewalHours < s.certValidityHours
                ? undefined
                : { key: "certEarlyRenewalHours", problem: `must be from 1 to ${s.certValidityHours - 1} (below certValidityHours)` },
    },
    {
        keys: ["caValidityHours", "certValidityHours"],
        check: (s) => (s.caValidityHours >= s.certValidityHours ? undefined : { key: "caValidityHours", problem: `must be at least certValidityHours (${s.certValidityHours})` }),
    },
    {
        keys: ["edgeSubnet", "appSubnet", "dataSubnet"],
        check: (s) => {
            const set = (["edgeSubnet", "appSubnet", "dataSubnet"] as const).filter((k) => s[k] !== "");
            for (let i = 0; i < set.length; i++) {
                for (let j = i + 1; j < set.length; j++) {
                    if (overlaps(s[set[i]], s[set[j]])) return { key: set[j], problem: `must not overlap ${set[i]} (${s[set[i]]})` };
                }
            }
            return undefined;
        },
    },
    {
        keys: ["backupIntervalMinutes", "backupRecipientCertificate"],
        check: (s) =>
            s.backupIntervalMinutes === 0 || s.backupRecipientCertificate !== ""
                ? undefined
                : { key: "backupRecipientCertificate", problem: "must hold the PEM certificate backups are encrypted to when backupIntervalMinutes is above 0" },
    },
    {
        keys: ["httpPort", "httpsPort"],
        check: (s) => (s.httpPort !== s.httpsPort ? undefined : { key: "httpsPort", problem: "must differ from httpPort" }),
    },
    {
        keys: ["hstsPreload", "hstsIncludeSubDomains"],
        check: (s) => (!s.hstsPreload || s.hstsIncludeSubDomains ? undefined : { key: "hstsPreload", problem: "requires hstsIncludeSubDomains=true (a preload-list rule)" }),
    },
];

/**
 * Every problem with `keys` of `values`: each value's own rule, then (when those hold) the rules
 * that tie two of them together.
 */
export function settingIssues<K extends SettingKey>(values: Pick<Settings, K>, keys: readonly K[]): SettingIssue[] {
    const issues: SettingIssue[] = [];
    for (const key of keys) {
        const problem = settingProblem(key, values[key]);
        if (problem !== undefined) issues.push({ key, problem, got: shown(key, values[key]) });
    }
    if (issues.length > 0) return issues;
    const has = new Set<SettingKey>(keys);
    for (const rule of CROSS_RULES) {
        if (!rule.keys.every((k) => has.has(k))) continue;
        const issue = rule.check(values as unknown as Settings);
        if (issue) issues.push({ ...issue, got: shown(issue.key, (values as Record<string, unknown>)[issue.key]) });
    }
    return issues;
}

/**
 * A component's settings: the ones it was given, defaults (from SETTINGS) for the rest, checked
 * with the same rules and words as the stack config, so a component used on its own refuses what
 * its renderers and Docker would refuse.
 */
export function componentSettings<K extends SettingKey>(owner: string, keys: readonly K[], given: Partial<Pick<Settings, K>>): Pick<Settings, K> {
    const values = Object.fromEntries(keys.map((k) => [k, given[k] ?? DEFAULTS[k]])) as Pick<Settings, K>;
    const issues = settingIssues(values, keys);
    if (issues.length > 0) throw new ConfigError(issues, `${owner}: `);
    return values;
}

/** The settings `PrivateCa` acts on. */
export const PKI_KEYS = ["keyAlgorithm", "caValidityHours", "certValidityHours", "certEarlyRenewalHours"] as const;
/** The settings `Networks` acts on. */
export const NETWORK_KEYS = ["edgeSubnet", "appSubnet", "dataSubnet"] as const;
/** The settings `Postgres` acts on. */
export const DB_KEYS = [
    "dbImage",
    "dbName",
    "dbUser",
    "dbTlsMinVersion",
    "dbClientCerts",
    "dbMemory",
    "dbCpus",
    "backupIntervalMinutes",
    "backupRetentionDays",
    "backupRecipientCertificate",
] as const;
/** The settings `Api` acts on; the limits are the proxy's too. */
export const API_KEYS = [
    "apiImage",
    "apiReplicas",
    "apiMemory",
    "apiCpus",
    "corsOrigins",
    "jwtTtl",
    "rateLimitRps",
    "rateLimitBurst",
    "authRateLimitRpm",
    "authRateLimitBurst",
    "clientMaxBodySize",
] as const;
/** The settings `EdgeProxy` acts on. */
export const PROXY_KEYS = [
    "domain",
    "bindAddress",
    "httpPort",
    "httpsPort",
    "tlsProfile",
    "hstsMaxAge",
    "hstsIncludeSubDomains",
    "hstsPreload",
    "contentSecurityPolicy",
    "permissionsPolicy",
    "proxyImage",
    "proxyMemory",
    "proxyCpus",
    "rateLimitRps",
    "rateLimitBurst",
    "authRateLimitRpm",
    "authRateLimitBurst",
    "proxyTimeoutSeconds",
    "clientMaxBodySize",
    "spaDir",
    "acmeDir",
] as const;

export type PkiComponentSettings = Pick<Settings, (typeof PKI_KEYS)[number]>;
export type NetworkComponentSettings = Pick<Settings, (typeof NETWORK_KEYS)[number]>;
export type DbComponentSettings = Pick<Settings, (typeof DB_KEYS)[number]>;
export type ApiComponentSettings = Pick<Settings, (typeof API_KEYS)[number]>;
export type ProxyComponentSettings = Pick<Settings, (typeof PROXY_KEYS)[number]>;

/** The values of `keys` from a full set of settings: a component's share, names unchanged. */
export function pick<K extends SettingKey>(s: Pick<Settings, K>, keys: readonly K[]): Pick<Settings, K> {
    return Object.fromEntries(keys.map((k) => [k, s[k]])) as Pick<Settings, K>;
}
