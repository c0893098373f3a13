import * as pulumi from "@pulumi/pulumi";
import { API_PORT, DB_HOST, apiReplicaHost } from "../../components/names";
import type { RunResult } from "../support/mock-engine";
import { runIndex } from "../support/stacks";
import { CONTAINER, NETWORK, env, networksOf, upload } from "./stack-helpers";

let r: RunResult;
beforeAll(async () => {
    r = await runIndex("dev");
});

const db = () => r.one(CONTAINER, "pg-db");
const proxy = () => r.one(CONTAINER, "proxy-nginx");
const apis = () => r.byType(CONTAINER).filter((c) => /-api-\d+$/.test(c.name));

describe("dev stack under mocks (the real index.ts)", () => {
    test("every resource hangs under the NestFluxStack component", () => {
        const root = r.resources.filter((x) => x.parentUrn === "");
        expect(root.map((x) => x.type)).toEqual(["nestflux:stack:NestFluxStack"]);
        for (const x of r.resources.filter((x) => x !== root[0])) {
            expect(x.parentUrn).toMatch(/^urn:pulumi:dev::nestflux::nestflux:stack:NestFluxStack[:$]/);
        }
        // Provider resources sit inside their component, not directly under the stack.
        const containers = r.byType(CONTAINER).map((c) => c.parentUrn.split("::")[2].split("$").pop());
        expect(containers.sort()).toEqual(["nestflux:app:Api", "nestflux:edge:Proxy", "nestflux:security:Postgres"]);
    });

    test("only the proxy publishes ports, on the configured local address", () => {
        expect(r.byType(CONTAINER).filter((c) => (c.inputs.ports ?? []).length > 0).map((c) => c.name)).toEqual([proxy().name]);
        expect(proxy().inputs.ports).toEqual([
            { internal: 80, external: 8080, ip: "127.0.0.1", protocol: "tcp" },
            { internal: 443, external: 8443, ip: "127.0.0.1", protocol: "tcp" },
        ]);
    });

    test("the database is on the internal data network only, reachable as DB_HOST", () => {
        expect(networksOf(r, db())).toEqual([{ name: "nestflux-dev-data", internal: true, aliases: [DB_HOST] }]);
        expect(db().inputs.ports ?? []).toEqual([]);
    });

    test("the database shares no network with the proxy", () => {
        const proxyNets = networksOf(r, proxy()).map((n) => n.name);
        for (const n of networksOf(r, db())) expect(proxyNets).not.toContain(n.name);
        expect(proxyNets).toEqual(["nestflux-dev-edge", "nestflux-dev-app"]);
    });

    test("only the edge network routes out", () => {
        const internal = Object.fromEntries(r.byType(NETWORK).map((n) => [n.inputs.name, n.inputs.internal]));
        expect(internal).toEqual({ "nestflux-dev-edge": false, "nestflux-dev-app": true, "nestflux-dev-data": true });
    });

    test("the API is on app and data, reachable by its replica name, with no ports", () => {
        expect(apis()).toHaveLength(1);
        expect(networksOf(r, apis()[0]).map((n) => [n.name, n.aliases])).toEqual([
            ["nestflux-dev-app", [apiReplicaHost(0)]],
            ["nestflux-dev-data", []],
        ]);
    });

    test("the DB certificate names the host the API dials, and the API verifies it fully", () => {
        const csr = r.one("tls:index/certRequest:CertRequest", "pki-db-csr");
        expect(csr.inputs.dnsNames).toContain(DB_HOST);
        const url = new URL(upload(apis()[0], "/run/nestflux/database_url").content);
        expect(url.hostname).toBe(DB_HOST);
        expect(url.searchParams.get("sslmode")).toBe("verify-full");
        expect(env(apis()[0]).DATABASE_CA_FILE).toBe("/run/nestflux/db-ca.crt");
    });

    test("PostgreSQL gets TLS-only rendered files", () => {
        const conf = upload(db(), "/etc/nestflux/postgresql.conf").content.split("\n");
        expect(conf).toEqual(expect.arrayContaining(["ssl = on", "ssl_min_protocol_version = 'TLSv1.2'", "password_encryption = scram-sha-256"]));
        const hba = upload(db(), "/etc/nestflux/pg_hba.conf").content;
        // The data network's subnet as Docker assigned it (the mock hands out 172.30.12.0/24).
        expect(hba).toContain("hostssl    all       all   172.30.12.0/24  scram-sha-256\n");
        expect(hba).not.toMatch(/^host\s/m);
    });

    test("secrets travel as secrets: keys, password, JWT secret, DB URL", () => {
        expect(upload(db(), "/etc/nestflux/tls-src/server.key")).toMatchObject({ secret: true, permissions: "0600" });
        expect(upload(db(), "/etc/nestflux/tls-src/password")).toMatchObject({ secret: true, permissions: "0600" });
        expect(upload(proxy(), "/etc/nginx/tls/privkey.pem")).toMatchObject({ secret: true, permissions: "0600" });
        expect(env(apis()[0]).ADMIN_EMAIL).toBe("admin@example.com");
        for (const f of ["/run/nestflux/database_url", "/run/nestflux/jwt_secret", "/run/nestflux/admin_password"]) {
            expect(upload(apis()[0], f)).toMatchObject({ secret: true, permissions: "0400", owner: "1000" });
        }
        const jwt = r.one("random:index/randomPassword:RandomPassword", "jwt-secret");
        expect(jwt.inputs.length).toBeGreaterThanOrEqual(32);
        expect(r.one("random:index/randomPassword:RandomPassword", "pg-password").inputs.length).toBeGreaterThanOrEqual(32);
    });

    test("no secret appears in env vars or plain outputs", async () => {
        for (const c of r.byType(CONTAINER)) {
            for (const e of c.inputs.envs ?? []) expect(e).not.toMatch(/PASSWORD=|SECRET=|postgresql:\/\//);
        }
        expect(await pulumi.isSecret(r.exports.dbPassword as pulumi.Output<string>)).toBe(true);
        expect(await pulumi.isSecret(r.exports.adminPassword as pulumi.Output<string>)).toBe(true);
        const password = upload(db(), "/etc/nestflux/tls-src/password").content;
        const plain = Object.entries(r.outputs).filter(([k]) => !k.endsWith("Password"));
        expect(JSON.stringify(plain)).not.toContain(password);
        expect(JSON.stringify(plain)).not.toContain("PRIVATE KEY");
    });

    test("the postgres key is fixed up in the container command, not loosened", () => {
        expect(db().inputs.entrypoints).toEqual(["/bin/sh", "/etc/nestflux/entrypoint.sh"]);
        const script = upload(db(), "/etc/nestflux/entrypoint.sh").content;
        expect(script).toContain("install -m 0600 -o postgres -g postgres /etc/nestflux/tls-src/server.key /var/lib/postgresql/tls/server.key");
        expect(env(db()).POSTGRES_PASSWORD_FILE).toBe("/etc/nestflux/tls-src/password");
    });

    test("hardening: no-new-privileges, dropped capabilities, memory limits, restart, health checks", () => {
        for (const c of r.byType(CONTAINER)) {
            expect(c.inputs.securityOpts).toContain("no-new-privileges:true");
            expect(c.inputs.capabilities.drops).toEqual(["ALL"]);
            expect(c.inputs.memory).toBeGreaterThan(0);
            expect(c.inputs.restart).toBe("unless-stopped");
            expect(c.inputs.healthcheck.tests.length).toBeGreaterThan(0);
        }
        expect(db().inputs.healthcheck.tests.join(" ")).toContain("pg_isready");
        expect(proxy().inputs.readOnly).toBe(true);
        expect(apis()[0].inputs.readOnly).toBe(true);
        expect(apis()[0].inputs.user).toBe("1000:1000");
        expect(db().inputs.volumes).toEqual([{ volumeName: "nestflux-dev-pgdata", containerPath: "/var/lib/postgresql/data" }]);
    });

    test("containers run image IDs, not names, and are deleted before replacement", () => {
        for (const c of r.byType(CONTAINER)) {
            expect(c.inputs.image).toMatch(/^sha256:/);
            expect(c.deleteBeforeReplace).toBe(true);
        }
    });

    test("leaf keys carry the rotation trigger; the CA key does not", () => {
        const keys = r.byType("tls:index/privateKey:PrivateKey");
        const trigger = r.one("tls:index/privateKey:PrivateKey", "pki-db-key").replacementTrigger;
        expect(trigger).toMatch(/^#\d+$/);
        for (const k of keys) expect(k.replacementTrigger).toBe(k.name.endsWith("-ca-key") ? undefined : trigger);
    });

    test("the proxy serves a generated edge certificate for the domain and proxies to the replica", () => {
        expect(r.one("tls:index/certRequest:CertRequest", "pki-edge-csr").inputs.dnsNames).toEqual(["localhost"]);
        const conf = upload(proxy(), "/etc/nginx/nginx.conf").content;
        expect(conf).toContain(`server ${apiReplicaHost(0)}:${API_PORT} max_fails=3 fail_timeout=10s;`);
        expect(conf).toContain("proxy_pass http://api_backend;");
        expect(conf).toContain('add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;');
        expect(conf).toContain("return 301 https://$host:8443$request_uri;");
        expect(proxy().inputs.labels).toContainEqual({ label: "nestflux.config-sha256", value: expect.stringMatching(/^[0-9a-f]{64}$/) });
    });

    test("stack outputs: URL, CA, expiry times, names", () => {
        expect(r.outputs.url).toBe("https://localhost:8443/");
        expect(r.outputs.caCertificatePem).toContain("BEGIN CERTIFICATE");
        expect(Object.keys(r.outputs.certificateExpiry as object).sort()).toEqual(["ca", "db", "edge"]);
        expect(r.outputs.networks).toEqual({ edge: "nestflux-dev-edge", app: "nestflux-dev-app", data: "nestflux-dev-data" });
        expect(r.outputs.containers).toEqual({ db: "nestflux-dev-db", api: ["nestflux-dev-api-0"], proxy: "nestflux-dev-proxy" });
    });
});
