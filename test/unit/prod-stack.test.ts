import { API_SERVICE_HOST, DB_HOST, apiCertificateNames, apiReplicaHost } from "../../components/names";
import { PROXY_CONTAINER_PORTS } from "../../components/edge-proxy";
import type { Registered, RunResult } from "../support/mock-engine";
import { backupKeyOf, prodCertificateConfig, runIndex } from "../support/stacks";
import { CONTAINER, env, label, mountedFile, mountedFileNames, networksOf } from "./stack-helpers";

let r: RunResult;
let certs: Record<string, string>;
beforeAll(async () => {
    certs = prodCertificateConfig();
    r = await runIndex("prod", certs);
}, 60_000);

const proxy = () => r.one(CONTAINER, "nestflux-proxy");
const db = () => r.one(CONTAINER, "nestflux-db");
const apis = () => r.byType(CONTAINER).filter((c) => /-api-\d+$/.test(c.name));
const job = () => r.one(CONTAINER, "api-migrate");
const file = (c: Registered, path: string) => mountedFile(r, c, path);
const nginxConf = () => file(proxy(), "/etc/nestflux/nginx.conf").content;

describe("prod stack under mocks (the real index.ts)", () => {
    test("three API replicas, each listed in the upstream and re-resolved through Docker's DNS", () => {
        expect(apis().map((c) => c.inputs.name)).toEqual(["nestflux-prod-api-0", "nestflux-prod-api-1", "nestflux-prod-api-2"]);
        for (let i = 0; i < 3; i++) expect(nginxConf()).toContain(`server ${apiReplicaHost(i)}:3000 max_fails=3 fail_timeout=10s resolve;`);
        expect(nginxConf()).toContain("resolver 127.0.0.11 valid=5s ipv6=off;");
    });

    test("the schema job runs before every replica; replicas neither migrate nor wait on each other", () => {
        const j = job();
        expect(j.inputs).toMatchObject({ command: ["node", "dist/migrate.js"], attach: true, mustRun: false, restart: "no" });
        for (const c of apis()) {
            expect([c.name, env(c).MIGRATE_ON_START, c.inputs.wait]).toEqual([c.name, "false", true]);
            expect(label(c, "nestflux.schema-job")).toBe(j.id);
            expect(c.dependencies).toContain(j.urn);
            for (const other of apis().filter((o) => o !== c)) expect(c.dependencies).not.toContain(other.urn);
        }
    });

    test("proxy → API is HTTPS and nginx verifies the API's certificate and name", () => {
        const conf = nginxConf();
        expect(conf).toContain("proxy_pass https://api_backend;");
        expect(conf).toContain("proxy_ssl_verify on;");
        expect(conf).toContain(`proxy_ssl_name ${API_SERVICE_HOST};`);
        expect(conf).toContain("proxy_ssl_trusted_certificate /etc/nestflux/upstream-ca.pem;");
        expect(file(proxy(), "/etc/nestflux/upstream-ca.pem").content).toBe(r.outputs.caCertificatePem);
        const csr = r.one("tls:index/certRequest:CertRequest", "pki-api-csr");
        expect(csr.inputs.dnsNames).toEqual(apiCertificateNames(3));
        for (const c of apis()) {
            expect(env(c)).toMatchObject({ HTTPS: "true", HTTPS_CERT_FILE: "/run/nestflux/https.crt", HTTPS_KEY_FILE: "/run/nestflux/https.key" });
            expect(file(c, "/run/nestflux/https.key")).toMatchObject({ secret: true, mode: "0400", owner: "1000:1000" });
            expect(file(c, "/run/nestflux/https.key").content).toContain("key-nestflux-pki-api-key");
        }
    });

    test("backups: a hardened container with the read-only role, encrypting to the operator's certificate, on the data network only", () => {
        const b = r.one(CONTAINER, "nestflux-db-backup");
        expect(b.inputs).toMatchObject({ user: "999:999", readOnly: true, entrypoints: ["bash", "/etc/nestflux-backup/backup.sh"], command: ["loop"] });
        expect(b.inputs.capabilities).toEqual({ drops: ["ALL"] });
        expect(b.inputs.ports ?? []).toEqual([]);
        expect(networksOf(r, b).map((n) => [n.name, n.internal])).toEqual([["nestflux-prod-data", true]]);
        const script = file(b, "/etc/nestflux-backup/backup.sh").content;
        expect(script).toContain("user=nestflux_dump sslmode=verify-full sslrootcert=/etc/nestflux-backup/db-ca.crt");
        expect(script).toContain("sslcert=/etc/nestflux-backup/client.crt sslkey=/etc/nestflux-backup/client.key");
        expect(script).toContain("INTERVAL_SECONDS=3600");
        expect(script).toContain(`RETENTION_MINUTES=${14 * 24 * 60}`);
        expect(file(b, "/etc/nestflux-backup/recipient.crt").content.trim()).toBe(certs["nestflux:backupRecipientCertificate"].trim());
        const pgpass = file(b, "/etc/nestflux-backup/pgpass");
        expect([pgpass.secret, pgpass.mode]).toEqual([true, "0600"]);
        expect(pgpass.content).toMatch(/^db\.nestflux\.internal:5432:nestflux:nestflux_dump:[A-Za-z0-9]{40}\n$/);
        // The stack holds no key that could decrypt a backup.
        const keyBody = backupKeyOf(certs).split("\n")[1];
        expect(JSON.stringify(r.resources.map((x) => x.inputs))).not.toContain(keyBody);
        expect(file(b, "/etc/nestflux-backup/client.key").secret).toBe(true);
        const roles = file(db(), "/docker-entrypoint-initdb.d/10-roles.sh").content;
        expect(roles).toContain("CREATE ROLE nestflux_dump LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD :'dump_password';");
        expect(roles).toContain("GRANT pg_read_all_data TO nestflux_dump;");
    });

    test("API → DB requires a client certificate whose CN is the role that logs in with it", () => {
        // Backups are on in prod: their read-only role comes in over the network too, with its own certificate.
        expect(file(db(), "/etc/nestflux/pg_hba.conf").content).toContain("hostssl    all       nestflux,nestflux_owner,nestflux_dump  172.28.2.0/24  scram-sha-256 clientcert=verify-full");
        expect(r.one("tls:index/certRequest:CertRequest", "pki-db-dump-client-csr").inputs.subject.commonName).toBe("nestflux_dump");
        expect(r.one("tls:index/certRequest:CertRequest", "pki-db-client-csr").inputs.subject.commonName).toBe("nestflux");
        expect(r.one("tls:index/certRequest:CertRequest", "pki-db-owner-client-csr").inputs.subject.commonName).toBe("nestflux_owner");
        for (const leaf of ["db-client", "db-owner-client"]) {
            expect(r.one("tls:index/locallySignedCert:LocallySignedCert", `pki-${leaf}-cert`).inputs.allowedUses).toEqual(["digital_signature", "client_auth"]);
        }
        const login = (c: Registered, leaf: string, role: string) => {
            expect(env(c)).toMatchObject({ DATABASE_CLIENT_CERT_FILE: "/run/nestflux/db-client.crt", DATABASE_CLIENT_KEY_FILE: "/run/nestflux/db-client.key" });
            const key = file(c, "/run/nestflux/db-client.key");
            expect(key).toMatchObject({ secret: true, mode: "0400", owner: "1000:1000" });
            expect(key.content).toContain(`key-nestflux-pki-${leaf}-key`);
            expect(file(c, "/run/nestflux/db-client.crt").content).toContain(`cert-nestflux-pki-${leaf}-cert`);
            const url = new URL(file(c, "/run/nestflux/database_url").content);
            expect([url.hostname, url.username, url.searchParams.get("sslmode")]).toEqual([DB_HOST, role, "verify-full"]);
        };
        for (const c of apis()) login(c, "db-client", "nestflux");
        login(job(), "db-owner-client", "nestflux_owner");
    });

    test("the schema job gets the owner's files and no JWT secret; replicas get no admin password", () => {
        expect(mountedFileNames(r, job(), "/run/nestflux")).toEqual(["admin_password", "database_url", "db-ca.crt", "db-client.crt", "db-client.key"]);
        for (const c of apis()) {
            expect(mountedFileNames(r, c, "/run/nestflux")).toEqual(["database_url", "db-ca.crt", "db-client.crt", "db-client.key", "https.crt", "https.key", "jwt_secret"]);
        }
        expect(env(job()).ADMIN_EMAIL).toBe("admin@nestflux.example.com");
    });

    test("the provided certificate is served with its chain, key secret, OCSP stapling on", () => {
        const chain = file(proxy(), "/etc/nestflux/fullchain.pem").content;
        expect(chain.startsWith(certs["nestflux:tlsCertificate"].trim())).toBe(true);
        expect(chain).toContain(certs["nestflux:tlsChain"].trim());
        const key = file(proxy(), "/etc/nestflux/privkey.pem");
        expect(key).toMatchObject({ secret: true, content: certs["nestflux:tlsPrivateKey"], mode: "0400", owner: "101:101" });
        expect(file(proxy(), "/etc/nestflux/chain.pem").content).toBe(certs["nestflux:tlsChain"]);
        expect(nginxConf()).toContain("ssl_stapling on;");
        expect(nginxConf()).toContain("ssl_trusted_certificate /etc/nestflux/chain.pem;");
        expect(r.byType("tls:index/certRequest:CertRequest").map((c) => c.name)).not.toContain("nestflux-pki-edge-csr");
    });

    test("public bind, standard ports onto nginx's unprivileged ones, HSTS preload, API trusts only the app subnet", () => {
        expect(proxy().inputs.ports.map((p: any) => `${p.ip}:${p.external}->${p.internal}`)).toEqual([
            `0.0.0.0:80->${PROXY_CONTAINER_PORTS.http}`,
            `0.0.0.0:443->${PROXY_CONTAINER_PORTS.https}`,
        ]);
        expect(nginxConf()).toContain('"max-age=63072000; includeSubDomains; preload"');
        expect(nginxConf()).toContain("return 301 https://nestflux.example.com$request_uri;");
        for (const c of apis()) expect(env(c).TRUST_PROXY).toBe("172.28.1.0/24");
    });

    test("the provided certificate's expiry is exported; no private key in plain outputs", () => {
        const expiry = r.outputs.certificateExpiry as Record<string, string>;
        expect(Object.keys(expiry).sort()).toEqual(["api", "ca", "db", "db-client", "db-dump-client", "db-owner-client", "edge"]);
        expect(new Date(expiry.edge).getTime()).toBeGreaterThan(Date.now());
        const plain = JSON.stringify(Object.entries(r.outputs).filter(([k]) => !k.endsWith("Password")));
        expect(plain).not.toContain("PRIVATE KEY");
    });
});
