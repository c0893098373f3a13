import * as fs from "fs";
import * as path from "path";
import { API_SETTINGS } from "../../api/src/config/contract";
import { DEFAULTS, SETTING_KEYS, SettingKey } from "../../components/settings";
import { pulumiYaml, readme } from "../../scripts/settings-docs";
import type { RunResult } from "../support/mock-engine";
import { backupRecipient, prodCertificateConfig, runProgramMany } from "../support/stacks";
import { CONTAINER, env, mountedFile } from "./stack-helpers";

const ROOT = path.join(__dirname, "..", "..");

describe("one source for every setting", () => {
    test("Pulumi.yaml's config block is the one generated from components/settings.ts (npm run gen:settings)", () => {
        const current = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
        expect(current).toBe(pulumiYaml(current));
    });

    test("the README's configuration reference is the one generated from it", () => {
        const current = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        expect(current).toBe(readme(current));
    });

    test("the stack files set only declared keys", () => {
        for (const stack of ["dev", "prod"]) {
            const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            const keys = [...text.matchAll(/^  nestflux:(\w+):/gm)].map((m) => m[1]);
            expect(keys.filter((k) => !(SETTING_KEYS as string[]).includes(k))).toEqual([]);
        }
    });
});

/** Where a setting can take effect, read from what the program registers for the engine. */
const PLACES = {
    /** The nginx.conf the proxy container runs. */
    nginxConf: (r: RunResult) => mountedFile(r, proxy(r), "/etc/nestflux/nginx.conf").content,
    /** The proxy container: image, ports, limits, mounts. */
    proxyContainer: (r: RunResult) => pickInputs(proxy(r), ["image", "ports", "memory", "cpus", "volumes"]),
    /** Files and environment of the API replicas. */
    apiEnv: (r: RunResult) => JSON.stringify(apiReplicas(r).map(env)),
    apiFiles: (r: RunResult) => JSON.stringify(["/run/nestflux/jwt_secret", "/run/nestflux/database_url"].map((f) => mountedFile(r, apiReplicas(r)[0], f).content)),
    apiContainers: (r: RunResult) => JSON.stringify(apiReplicas(r).map((c) => pickInputs(c, ["memory", "cpus", "name"]))),
    /** The images the containers run (a container names its image by ID). */
    images: (r: RunResult) => JSON.stringify(r.byType("docker:index/remoteImage:RemoteImage").map((i) => [i.name, i.inputs.name, i.inputs.build ?? null])),
    /** The schema job: environment (initial admin). */
    migrateEnv: (r: RunResult) => JSON.stringify(env(r.one(CONTAINER, "nestflux-api-migrate"))),
    /** PostgreSQL: its rendered files and container. */
    pgConf: (r: RunResult) => mountedFile(r, db(r), "/etc/nestflux/postgresql.conf").content,
    pgHba: (r: RunResult) => mountedFile(r, db(r), "/etc/nestflux/pg_hba.conf").content,
    rolesScript: (r: RunResult) => mountedFile(r, db(r), "/docker-entrypoint-initdb.d/10-roles.sh").content,
    dbContainer: (r: RunResult) => pickInputs(db(r), ["image", "envs", "memory", "cpus"]),
    /** Certificates: keys (with their rotation trigger), requests and signed certificates. */
    certificates: (r: RunResult) =>
        JSON.stringify(r.resources.filter((x) => x.type.startsWith("tls:")).map((x) => [x.name, x.inputs, x.replacementTrigger])),
    /** The backup container's script and the certificate it encrypts to ("none" without backups). */
    backupScript: (r: RunResult) => (backupOf(r) ? mountedFile(r, backupOf(r)!, "/etc/nestflux-backup/backup.sh").content : "none"),
    backupRecipient: (r: RunResult) => (backupOf(r) ? mountedFile(r, backupOf(r)!, "/etc/nestflux-backup/recipient.crt").content : "none"),
    networks: (r: RunResult) => JSON.stringify(r.byType("docker:index/network:Network").map((n) => n.inputs.ipamConfigs ?? null)),
    /** The edge certificate the proxy serves. */
    edgeCertificate: (r: RunResult) => mountedFile(r, proxy(r), "/etc/nestflux/fullchain.pem").content,
    edgeKey: (r: RunResult) => mountedFile(r, proxy(r), "/etc/nestflux/privkey.pem").content,
} as const;
type Place = keyof typeof PLACES;

const proxy = (r: RunResult) => r.one(CONTAINER, "nestflux-proxy");
const db = (r: RunResult) => r.one(CONTAINER, "nestflux-db");
const backupOf = (r: RunResult) => r.byType(CONTAINER).find((c) => c.name === "nestflux-db-backup");
const apiReplicas = (r: RunResult) => r.byType(CONTAINER).filter((c) => /-api-\d+$/.test(c.name));
const pickInputs = (c: { inputs: Record<string, unknown> }, keys: string[]) => JSON.stringify(keys.map((k) => c.inputs[k]));

const RECIPIENT = backupRecipient();
const OTHER_RECIPIENT = backupRecipient();
const BACKUPS_ON = { "nestflux:backupIntervalMinutes": "60", "nestflux:backupRecipientCertificate": RECIPIENT.certPem };
const PROD_CERT = prodCertificateConfig();
const OTHER_CERT = prodCertificateConfig();
const provided = {
    "nestflux:certSource": "provided",
    "nestflux:domain": "nestflux.example.com",
    ...PROD_CERT,
};

/**
 * For every key: a valid value other than the dev stack's, and each place the program must change
 * when the key does. Keys shared with the API must reach both the proxy and the API.
 */
const TRACE: Record<SettingKey, { value: string; reaches: Place[]; base?: Record<string, string>; also?: Record<string, string> }> = {
    domain: { value: "app.example.test", reaches: ["nginxConf", "certificates", "apiEnv"] },
    bindAddress: { value: "0.0.0.0", reaches: ["proxyContainer"] },
    httpPort: { value: "8081", reaches: ["proxyContainer"] },
    httpsPort: { value: "9443", reaches: ["proxyContainer", "nginxConf", "apiEnv"] },
    tlsProfile: { value: "modern", reaches: ["nginxConf"] },
    hstsMaxAge: { value: "63072001", reaches: ["nginxConf"] },
    hstsIncludeSubDomains: { value: "false", reaches: ["nginxConf"] },
    hstsPreload: { value: "true", reaches: ["nginxConf"] },
    contentSecurityPolicy: { value: "default-src 'none'", reaches: ["nginxConf"] },
    permissionsPolicy: { value: "camera=()", reaches: ["nginxConf"] },
    proxyImage: { value: "nginx:1.31.0-trixie", reaches: ["images"] },
    proxyMemory: { value: "64MB", reaches: ["proxyContainer"] },
    proxyCpus: { value: "0.5", reaches: ["proxyContainer"] },
    rateLimitRps: { value: "7", reaches: ["nginxConf", "apiEnv"] },
    rateLimitBurst: { value: "9", reaches: ["nginxConf", "apiEnv"] },
    authRateLimitRpm: { value: "4", reaches: ["nginxConf", "apiEnv"] },
    authRateLimitBurst: { value: "2", reaches: ["nginxConf", "apiEnv"] },
    proxyTimeoutSeconds: { value: "12", reaches: ["nginxConf"] },
    clientMaxBodySize: { value: "2m", reaches: ["nginxConf", "apiEnv"] },
    spaDir: { value: "/srv/spa", reaches: ["proxyContainer"] },
    acmeDir: { value: "/srv/acme", reaches: ["proxyContainer", "nginxConf"] },
    certSource: { value: "provided", reaches: ["edgeCertificate", "edgeKey", "certificates", "nginxConf"], base: { "nestflux:domain": "nestflux.example.com", ...PROD_CERT } },
    keyAlgorithm: { value: "RSA-2048", reaches: ["certificates"] },
    caValidityHours: { value: "50000", reaches: ["certificates"] },
    certValidityHours: { value: "2000", reaches: ["certificates"] },
    certEarlyRenewalHours: { value: "700", reaches: ["certificates"] },
    certRotation: { value: "2026-11", reaches: ["certificates"] },
    // A certificate and its key only change together: the pair is validated as one.
    tlsCertificate: { value: OTHER_CERT["nestflux:tlsCertificate"], reaches: ["edgeCertificate"], base: provided, also: { "nestflux:tlsPrivateKey": OTHER_CERT["nestflux:tlsPrivateKey"] } },
    tlsChain: { value: OTHER_CERT["nestflux:tlsChain"], reaches: ["edgeCertificate"], base: provided, also: { "nestflux:tlsCertificate": OTHER_CERT["nestflux:tlsCertificate"], "nestflux:tlsPrivateKey": OTHER_CERT["nestflux:tlsPrivateKey"] } },
    tlsPrivateKey: { value: OTHER_CERT["nestflux:tlsPrivateKey"], reaches: ["edgeKey"], base: provided, also: { "nestflux:tlsCertificate": OTHER_CERT["nestflux:tlsCertificate"] } },
    edgeSubnet: { value: "172.30.0.0/24", reaches: ["networks"] },
    appSubnet: { value: "172.30.1.0/24", reaches: ["networks", "apiEnv"] },
    dataSubnet: { value: "172.30.2.0/24", reaches: ["networks", "pgHba"] },
    dbImage: { value: "postgres:17.13-trixie", reaches: ["images"] },
    dbName: { value: "notes", reaches: ["dbContainer", "rolesScript", "apiFiles"] },
    dbUser: { value: "notes_app", reaches: ["pgHba", "rolesScript", "apiFiles"] },
    dbTlsMinVersion: { value: "TLSv1.3", reaches: ["pgConf"] },
    dbClientCerts: { value: "true", reaches: ["pgHba", "certificates", "apiEnv"] },
    dbMemory: { value: "256MB", reaches: ["dbContainer"] },
    dbCpus: { value: "0.5", reaches: ["dbContainer"] },
    apiImage: { value: "registry.example.com/nestflux-api:1.2.3", reaches: ["images"] },
    apiReplicas: { value: "2", reaches: ["apiContainers", "nginxConf"] },
    apiHttps: { value: "true", reaches: ["apiEnv", "nginxConf", "certificates"] },
    apiMemory: { value: "320MB", reaches: ["apiContainers"] },
    apiCpus: { value: "0.5", reaches: ["apiContainers"] },
    corsOrigins: { value: "https://other.example.com", reaches: ["apiEnv"] },
    jwtTtl: { value: "5m", reaches: ["apiEnv"] },
    jwtSecret: { value: "s".repeat(48), reaches: ["apiFiles"] },
    adminEmail: { value: "root@example.com", reaches: ["migrateEnv"] },
    backupIntervalMinutes: { value: "30", reaches: ["backupScript", "pgHba"], base: { "nestflux:backupRecipientCertificate": RECIPIENT.certPem } },
    backupRetentionDays: { value: "30", reaches: ["backupScript"], base: BACKUPS_ON },
    backupRecipientCertificate: { value: OTHER_RECIPIENT.certPem, reaches: ["backupRecipient"], base: BACKUPS_ON },
};

describe("every setting reaches the program that enforces it", () => {
    test("each key has a trace, and only declared keys do", () => {
        expect(Object.keys(TRACE).sort()).toEqual([...SETTING_KEYS].sort());
        for (const [key, t] of Object.entries(TRACE)) expect([key, t.reaches.length > 0]).toEqual([key, true]);
    });

    test("each shared limit reaches the API as its contract variable with the same value", () => {
        const shared = Object.keys(API_SETTINGS) as (keyof typeof API_SETTINGS)[];
        for (const key of shared) expect(TRACE[key].reaches).toContain("apiEnv");
        expect(shared.map((k) => DEFAULTS[k])).toEqual(shared.map((k) => API_SETTINGS[k].default));
    });

    // One run per key, plus one baseline per distinct base config, all in one module registry.
    const bases = [...new Set(SETTING_KEYS.map((k) => JSON.stringify(TRACE[k].base ?? {})))];
    let runs: Map<string, RunResult>;
    beforeAll(async () => {
        const configs = [
            ...bases.map((b) => JSON.parse(b) as Record<string, string>),
            ...SETTING_KEYS.map((k) => ({ ...(TRACE[k].base ?? {}), ...(TRACE[k].also ?? {}), [`nestflux:${k}`]: TRACE[k].value })),
        ];
        const results = await runProgramMany("dev", configs);
        runs = new Map([...bases.map((b, i) => [`base ${b}`, results[i]] as const), ...SETTING_KEYS.map((k, i) => [k as string, results[bases.length + i]] as const)]);
    }, 180_000);

    test.each(SETTING_KEYS.map((k) => [k]))("%s", (key) => {
        const t = TRACE[key as SettingKey];
        const before = runs.get(`base ${JSON.stringify(t.base ?? {})}`)!;
        const after = runs.get(key)!;
        for (const place of t.reaches) {
            expect([key, place, PLACES[place](after) !== PLACES[place](before)]).toEqual([key, place, true]);
        }
    });

    test("an API contract variable carries the config value unchanged", async () => {
        const [r] = await runProgramMany("dev", [{ "nestflux:authRateLimitRpm": "4", "nestflux:jwtTtl": "5m", "nestflux:clientMaxBodySize": "2m" }]);
        const e = env(apiReplicas(r)[0]);
        expect([e.AUTH_RATE_LIMIT_RPM, e.JWT_TTL, e.CLIENT_MAX_BODY_SIZE]).toEqual(["4", "5m", "2m"]);
        expect(PLACES.nginxConf(r)).toContain("zone=auth:10m rate=4r/m");
        expect(PLACES.nginxConf(r)).toContain("client_max_body_size 2m;");
    }, 30_000);
});

describe("components check the settings they are given, as the config check does", () => {
    /** Construct a component under mocks and return what it threw. */
    async function thrownBy(make: (c: typeof import("../../components")) => void): Promise<unknown> {
        let engine!: typeof import("../support/mock-engine");
        let components!: typeof import("../../components");
        jest.isolateModules(() => {
            engine = require("../support/mock-engine");
            components = require("../../components");
        });
        try {
            await engine.runUnderMocks("dev", {}, () => {
                make(components);
                return {};
            });
        } catch (e) {
            return e;
        }
        return undefined;
    }
    const wiring = { namePrefix: "lib", edgeNetworkName: "e", appNetworkName: "a", dataNetworkName: "d" };

    test("EdgeProxy refuses a header value nginx would refuse, naming itself and the field", async () => {
        const e = await thrownBy(
            (c) =>
                new c.EdgeProxy("edge", {
                    ...wiring,
                    contentSecurityPolicy: "default-src $host",
                    rateLimitBurst: -1,
                    certificateChainPem: "c",
                    privateKeyPem: "k",
                    upstreams: ["a:1"],
                }),
        );
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^EdgeProxy edge: contentSecurityPolicy: must be a non-empty header value .* without ", \$ or \\/m);
        expect((e as Error).message).toMatch(/^EdgeProxy edge: rateLimitBurst: must be a whole number from 0 to 100000/m);
    });

    test("Postgres, Api, Networks and PrivateCa refuse bad values the same way", async () => {
        const pg = await thrownBy((c) => new c.Postgres("db", { ...wiring, dbUser: "postgres", certificatePem: "c", privateKeyPem: "k", caCertificatePem: "a" }));
        expect((pg as Error).message).toMatch(/^Postgres db: dbUser: must be a lower-case SQL identifier/);
        const login = { url: "postgresql://x" };
        const api = await thrownBy(
            (c) => new c.Api("api", { ...wiring, apiImage: "app:latest", database: login, migrationDatabase: login, databaseCaPem: "c", jwtSecret: "s" }),
        );
        expect((api as Error).message).toMatch(/^Api api: apiImage: must be an image reference pinned/);
        const nets = await thrownBy((c) => new c.Networks("net", { namePrefix: "lib", stack: "dev", appSubnet: "10.0.0.0/33" }));
        expect((nets as Error).message).toMatch(/^Networks net: appSubnet: must be an IPv4 network in CIDR form/);
        const ca = await thrownBy((c) => new c.PrivateCa("ca", { organization: "o", rotationKey: "r", leaves: [], certValidityHours: 100, certEarlyRenewalHours: 100 }));
        expect((ca as Error).message).toMatch(/^PrivateCa ca: certEarlyRenewalHours: must be from 1 to 99/);
    });

    test("defaults come from the settings table when a component is used on its own", async () => {
        const e = await thrownBy((c) => {
            const values = c.componentSettings("EdgeProxy x", c.PROXY_KEYS, {});
            expect(values).toEqual(Object.fromEntries(c.PROXY_KEYS.map((k) => [k, c.DEFAULTS[k]])));
        });
        expect(e).toBeUndefined();
    });
});

describe("the API image is rebuilt for changes in its Docker build context only", () => {
    const { hashBuildContext } = require("../../components/source-hash") as typeof import("../../components/source-hash");
    const os = require("os") as typeof import("os");
    const make = () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestflux-ctx-"));
        fs.mkdirSync(path.join(dir, "src"));
        fs.mkdirSync(path.join(dir, "test"));
        fs.writeFileSync(path.join(dir, ".dockerignore"), fs.readFileSync(path.join(ROOT, "api", ".dockerignore")));
        fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
        fs.writeFileSync(path.join(dir, "src", "main.ts"), "1\n");
        fs.writeFileSync(path.join(dir, "README.md"), "docs\n");
        fs.writeFileSync(path.join(dir, "test", "a.spec.ts"), "t\n");
        return dir;
    };

    test("files .dockerignore leaves out change nothing; the source, the Dockerfile and .dockerignore do", () => {
        const dir = make();
        const h0 = hashBuildContext(dir);
        fs.writeFileSync(path.join(dir, "README.md"), "more docs\n");
        fs.writeFileSync(path.join(dir, "test", "a.spec.ts"), "t2\n");
        expect(hashBuildContext(dir)).toBe(h0);
        fs.writeFileSync(path.join(dir, "src", "main.ts"), "2\n");
        const h1 = hashBuildContext(dir);
        expect(h1).not.toBe(h0);
        fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\nUSER 1\n");
        const h2 = hashBuildContext(dir);
        expect(h2).not.toBe(h1);
        fs.appendFileSync(path.join(dir, ".dockerignore"), "src/extra\n");
        expect(hashBuildContext(dir)).not.toBe(h2);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test("the real API's README and tests are outside its build context", () => {
        const ig = (require("@balena/dockerignore").default as typeof import("@balena/dockerignore").default)().add(
            fs.readFileSync(path.join(ROOT, "api", ".dockerignore"), "utf8"),
        );
        expect(["README.md", "test/app.e2e-spec.ts", "node_modules", "dist"].map((f) => ig.ignores(f))).toEqual([true, true, true, true]);
        expect(["src/main.ts", "src/config/contract.ts", "package.json", "package-lock.json"].map((f) => ig.ignores(f))).toEqual([false, false, false, false]);
    });
});
