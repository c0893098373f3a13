import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { API_SETTINGS } from "../../api/src/config/contract";
import { ConfigError, DEFAULTS, memoryMb, RawConfig, parseSettings, rotationWindow, stackSettings } from "../../components/config";
import { issueLeaf, makeCa } from "../support/certs";

function expectConfigError(raw: RawConfig, key: string, allowed: RegExp, stack = "dev"): void {
    let caught: unknown;
    try {
        parseSettings(raw, stack);
    } catch (e) {
        caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.key).toBe(key);
    expect(err.message).toContain(`nestflux:${key}`);
    expect(err.message).toMatch(allowed);
}

describe("parseSettings defaults", () => {
    const s = parseSettings({}, "dev");

    test("defaults give TLS 1.2+ everywhere, ECDSA P-256 and one replica", () => {
        expect(s.dbTlsMinVersion).toBe("TLSv1.2");
        expect(s.tlsProfile).toBe("intermediate");
        expect(s.keyAlgorithm).toBe("ECDSA-P256");
        expect(s.apiReplicas).toBe(1);
        expect([s.hstsMaxAge, s.hstsIncludeSubDomains, s.hstsPreload]).toEqual([63072000, true, false]);
    });

    test("pinned images: PostgreSQL 17 and an nginx that re-resolves upstreams", () => {
        expect(s.dbImage).toBe("postgres:17.12-trixie");
        expect(s.proxyImage).toBe("nginx:1.30.6-trixie");
        expect(s.dbUser).toBe("nestflux");
    });

    test("every service gets one CPU unless configured otherwise", () => {
        expect([s.dbCpus, s.apiCpus, s.proxyCpus]).toEqual(["1.0", "1.0", "1.0"]);
        const custom = parseSettings({ dbCpus: "0.5", apiCpus: "2", proxyCpus: "0.25" }, "dev");
        expect([custom.dbCpus, custom.apiCpus, custom.proxyCpus]).toEqual(["0.5", "2", "0.25"]);
    });

    test("nginx 1.27.3 is the oldest version accepted when the image tag names one", () => {
        expect(parseSettings({ proxyImage: "nginx:1.27.3-alpine" }, "dev").proxyImage).toBe("nginx:1.27.3-alpine");
        expect(parseSettings({ proxyImage: `nginx@sha256:${"a".repeat(64)}` }, "dev").proxyImage).toMatch(/^nginx@sha256/);
        expect(parseSettings({ proxyImage: "registry.example.com/edge/nginx:2024.1" }, "dev").proxyImage).toMatch(/edge/);
    });

    test("dbUser may be 57 characters, so that <dbUser>_owner still fits PostgreSQL's 63", () => {
        const longest = "u".repeat(57);
        expect(parseSettings({ dbUser: longest }, "dev").dbUser).toBe(longest);
        expect(`${longest}_owner`).toHaveLength(63);
    });

    test("memory sizes read as megabytes", () => {
        expect(memoryMb(s.dbMemory)).toBe(512);
        expect(memoryMb(parseSettings({ apiMemory: "1GB" }, "dev").apiMemory)).toBe(1024);
    });

    test("the settings shared with the API take the API contract's defaults", () => {
        for (const key of Object.keys(API_SETTINGS) as (keyof typeof API_SETTINGS)[]) {
            expect([key, DEFAULTS[key]]).toEqual([key, API_SETTINGS[key].default]);
        }
    });

    test("secret keys reach the settings only as Pulumi secrets", () => {
        const withSecret = parseSettings({ jwtSecret: "x".repeat(40) }, "dev");
        expect(pulumi.Output.isInstance(withSecret.jwtSecret)).toBe(true);
        expect(Object.values(withSecret)).not.toContain("x".repeat(40));
        expect("tlsPrivateKey" in withSecret).toBe(false);
        expect(parseSettings({}, "dev").jwtSecret).toBeUndefined();
    });
});

describe("typed settings for library users", () => {
    test("stackSettings takes typed values, fills defaults and applies the same rules", () => {
        const s = stackSettings({ domain: "api.example.com", apiReplicas: 2 }, "staging");
        expect([s.domain, s.apiReplicas, s.httpsPort]).toEqual(["api.example.com", 2, 443]);
        expect(() => stackSettings({ apiReplicas: 0 }, "staging")).toThrow(/nestflux:apiReplicas: must be a whole number from 1 to 64/);
    });

    test("an unknown key is refused, with the list of settings", () => {
        expect(() => stackSettings({ apiReplica: 2 } as never, "dev")).toThrow(/nestflux:apiReplica: is not a setting; the settings are domain, /);
        expect(() => parseSettings({ rateLimit: "5" } as never, "dev")).toThrow(/nestflux:rateLimit: is not a setting/);
    });

    test("every problem is reported at once, each naming its key", () => {
        let err: ConfigError | undefined;
        try {
            parseSettings({ apiReplicas: "zero", dbImage: "postgres", httpPort: "99999", contentSecurityPolicy: "a$b" }, "dev");
        } catch (e) {
            err = e as ConfigError;
        }
        expect(err).toBeInstanceOf(ConfigError);
        expect(err!.issues.map((i) => i.key).sort()).toEqual(["apiReplicas", "contentSecurityPolicy", "dbImage", "httpPort"]);
        for (const key of ["apiReplicas", "dbImage", "httpPort", "contentSecurityPolicy"]) expect(err!.message).toContain(`nestflux:${key}: must`);
    });
});

describe("parseSettings rejects bad input, naming the key", () => {
    test.each<[string, RawConfig, string, RegExp]>([
        ["unknown DB TLS version", { dbTlsMinVersion: "TLSv1.1" }, "dbTlsMinVersion", /one of TLSv1.2, TLSv1.3/],
        ["unknown proxy TLS profile", { tlsProfile: "old" }, "tlsProfile", /intermediate, modern/],
        ["zero replicas", { apiReplicas: "0" }, "apiReplicas", /from 1 to 64/],
        ["fractional replicas", { apiReplicas: "1.5" }, "apiReplicas", /whole number/],
        ["port out of range", { httpsPort: "70000" }, "httpsPort", /from 1 to 65535/],
        ["same HTTP and HTTPS port", { httpPort: "443", httpsPort: "443" }, "httpsPort", /differ from httpPort/],
        ["malformed domain", { domain: "exa mple..com" }, "domain", /DNS host name/],
        ["malformed CIDR", { dataSubnet: "10.0.0.0/33" }, "dataSubnet", /IPv4 network in CIDR form/],
        ["CIDR without mask", { appSubnet: "10.1.2.3" }, "appSubnet", /IPv4 network in CIDR form/],
        ["memory that does not parse", { dbMemory: "lots" }, "dbMemory", /size like 256MB/],
        ["memory too small", { apiMemory: "1MB" }, "apiMemory", /from 64MB to 1TB/],
        ["unpinned image", { dbImage: "postgres" }, "dbImage", /pinned/],
        ["latest tag", { proxyImage: "nginx:latest" }, "proxyImage", /other than latest/],
        ["unknown key algorithm", { keyAlgorithm: "RSA-1024" }, "keyAlgorithm", /ECDSA-P256/],
        ["early renewal beyond validity", { certValidityHours: "100", certEarlyRenewalHours: "100" }, "certEarlyRenewalHours", /from 1 to 99/],
        ["HSTS max-age below two years", { hstsMaxAge: "3600" }, "hstsMaxAge", /from 63072000/],
        ["preload without includeSubDomains", { hstsPreload: "true", hstsIncludeSubDomains: "false" }, "hstsPreload", /requires hstsIncludeSubDomains=true/],
        ["boolean that is not one", { apiHttps: "yes" }, "apiHttps", /true or false/],
        ["bind address that is not an IP", { bindAddress: "localhost" }, "bindAddress", /IP address/],
        ["CSP with a quote", { contentSecurityPolicy: 'default-src "self"' }, "contentSecurityPolicy", /without ", \$ or \\/],
        ["CSP with an nginx variable", { contentSecurityPolicy: "default-src $host" }, "contentSecurityPolicy", /without ", \$/],
        ["Permissions-Policy with a control character", { permissionsPolicy: "camera=()\u0007" }, "permissionsPolicy", /printable ASCII/],
        ["auth burst above its bound", { authRateLimitBurst: "5000" }, "authRateLimitBurst", /from 0 to 1000/],
        ["JWT lifetime above a day", { jwtTtl: "25h" }, "jwtTtl", /at most 24h/],
        ["CA shorter-lived than its leaves", { caValidityHours: "100", certValidityHours: "200", certEarlyRenewalHours: "50" }, "caValidityHours", /at least certValidityHours/],
        ["weak JWT secret", { jwtSecret: "short" }, "jwtSecret", /at least 32/],
        ["origin with a path", { corsOrigins: "https://a.example.com/app" }, "corsOrigins", /origins/],
        ["relative SPA dir", { spaDir: "dist" }, "spaDir", /absolute host path/],
        ["nginx that cannot re-resolve upstreams", { proxyImage: "nginx:1.27.2" }, "proxyImage", /nginx 1\.27\.3 or later \(the tag names 1\.27\.2\)/],
        ["nginx of an older branch", { proxyImage: "docker.io/library/nginx:1.26.3-bookworm" }, "proxyImage", /nginx 1\.27\.3 or later/],
        ["bad SQL identifier", { dbUser: "app; drop" }, "dbUser", /SQL identifier/],
        ["dbUser too long for its owner role", { dbUser: "u".repeat(58) }, "dbUser", /at most 57/],
        ["dbUser is the bootstrap superuser", { dbUser: "postgres" }, "dbUser", /not postgres, pg_\* or an SQL reserved word/],
        ["dbUser in the reserved pg_ namespace", { dbUser: "pg_app" }, "dbUser", /not postgres, pg_\* or an SQL reserved word/],
        ["zero CPUs", { dbCpus: "0" }, "dbCpus", /number of CPUs from 0.1 to 256/],
        ["CPUs below the floor", { apiCpus: "0.05" }, "apiCpus", /number of CPUs from 0.1 to 256/],
        ["CPUs that are not a number", { proxyCpus: "one" }, "proxyCpus", /number of CPUs/],
        ["CPUs above the ceiling", { proxyCpus: "300" }, "proxyCpus", /from 0.1 to 256/],
        ["negative CPUs", { apiCpus: "-1" }, "apiCpus", /number of CPUs/],
        ["malformed admin e-mail", { adminEmail: "admin" }, "adminEmail", /e-mail address/],
        ["bad body size", { clientMaxBodySize: "1 GB" }, "clientMaxBodySize", /512k/],
    ])("%s", (_what, raw, key, allowed) => expectConfigError(raw, key, allowed));

    test("prod without a certificate source is refused", () => {
        expectConfigError({ domain: "nestflux.example.com" }, "certSource", /must be provided on the prod stack/, "prod");
    });

    test("provided source without a certificate is refused", () => {
        expectConfigError({ certSource: "provided" }, "tlsCertificate", /PEM certificate/);
    });

    test("a secret value is never echoed in the error", () => {
        expect(() => parseSettings({ jwtSecret: "hunter2-short" }, "dev")).toThrow(/<secret>/);
        expect(() => parseSettings({ jwtSecret: "hunter2-short" }, "dev")).not.toThrow(/hunter2/);
    });
});

describe("provided certificates", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestflux-cfg-"));
    const ca = makeCa(dir);
    const wildcard = issueLeaf(dir, "wild", ca, { commonName: "*.example.com", dnsNames: ["*.example.com"], usage: "server" });
    const other = issueLeaf(dir, "other", ca, { commonName: "other.test", dnsNames: ["other.test"], usage: "server" });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("a wildcard certificate covering the domain is accepted and its expiry read", () => {
        const s = parseSettings(
            { certSource: "provided", domain: "app.example.com", tlsCertificate: wildcard.certPem, tlsChain: ca.certPem, tlsPrivateKey: wildcard.keyPem },
            "prod",
        );
        expect(s.provided?.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(new Date(s.provided!.expiresAt).getTime()).toBeGreaterThan(Date.now());
        expect(pulumi.Output.isInstance(s.provided!.privateKeyPem)).toBe(true);
    });

    test("a certificate that does not cover the domain is refused", () => {
        expectConfigError(
            { certSource: "provided", domain: "app.example.com", tlsCertificate: other.certPem, tlsPrivateKey: other.keyPem },
            "tlsCertificate",
            /must cover the domain app.example.com/,
        );
    });

    test("a key that does not belong to the certificate is refused", () => {
        expectConfigError(
            { certSource: "provided", domain: "app.example.com", tlsCertificate: wildcard.certPem, tlsPrivateKey: other.keyPem },
            "tlsPrivateKey",
            /private key of tlsCertificate/,
        );
    });

    test("garbage instead of PEM is refused", () => {
        expectConfigError({ certSource: "provided", tlsCertificate: "not a cert", tlsPrivateKey: wildcard.keyPem }, "tlsCertificate", /PEM/);
        const broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
        expectConfigError({ certSource: "provided", tlsCertificate: broken, tlsPrivateKey: wildcard.keyPem }, "tlsCertificate", /X.509/);
    });
});

describe("rotationWindow", () => {
    const hour = 3600e3;
    test("stays the same inside a window and moves at validity - earlyRenewal", () => {
        const w = rotationWindow(0, 2160, 720);
        expect(rotationWindow(1439 * hour, 2160, 720)).toBe(w);
        expect(rotationWindow(1440 * hour, 2160, 720)).toBe(w + 1);
    });
    test("a certificate issued at a window's start is rotated before it expires", () => {
        const start = 1440 * hour * 7;
        const expiresAt = start + 2160 * hour;
        const nextWindowAt = start + (2160 - 720) * hour;
        expect(rotationWindow(nextWindowAt, 2160, 720)).toBe(rotationWindow(start, 2160, 720) + 1);
        expect(expiresAt - nextWindowAt).toBe(720 * hour);
    });
});

describe("values Docker, PostgreSQL or the API would refuse later are refused now", () => {
    test.each<[string, RawConfig, string, RegExp]>([
        ["a subnet with host bits", { appSubnet: "172.28.1.5/24" }, "appSubnet", /no host bits/],
        ["a subnet too small for containers", { dataSubnet: "172.28.2.0/30" }, "dataSubnet", /\/29 or larger/],
        ["overlapping subnets", { edgeSubnet: "172.28.0.0/16", appSubnet: "172.28.1.0/24" }, "appSubnet", /must not overlap edgeSubnet/],
        ["a non-ASCII domain", { domain: "bücher.example" }, "domain", /DNS host name/],
        ["a reserved word as role", { dbUser: "user" }, "dbUser", /SQL reserved word/],
        ["a reserved word as database", { dbName: "select" }, "dbName", /SQL reserved word/],
        ["an admin e-mail without a top-level domain", { adminEmail: "admin@localhost" }, "adminEmail", /top-level domain/],
        ["an nginx branch tag older than 1.27", { proxyImage: "nginx:1.26-alpine" }, "proxyImage", /1\.27\.3 or later \(the tag names 1\.26\)/],
        ["absurd memory", { dbMemory: "9999999TB" }, "dbMemory", /to 1TB/],
    ])("%s", (_what, raw, key, allowed) => expectConfigError(raw, key, allowed));

    test("an nginx 1.27 branch tag and punycode names are fine", () => {
        expect(parseSettings({ proxyImage: "nginx:1.27", domain: "xn--bcher-kva.example" }, "dev").proxyImage).toBe("nginx:1.27");
    });
});

describe("backup settings", () => {
    test("backups need a recipient certificate with an RSA or EC key", () => {
        expectConfigError({ backupIntervalMinutes: "60" }, "backupRecipientCertificate", /must hold the PEM certificate backups are encrypted to/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestflux-rcpt-"));
        const ec = issueLeaf(dir, "ec", makeCa(dir), { commonName: "x", usage: "client" });
        fs.rmSync(dir, { recursive: true, force: true });
        expect(parseSettings({ backupIntervalMinutes: "60", backupRecipientCertificate: ec.certPem }, "dev").backupIntervalMinutes).toBe(60);
        expectConfigError({ backupIntervalMinutes: "60", backupRecipientCertificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" }, "backupRecipientCertificate", /X\.509/);
    });
});
