import * as pulumi from "@pulumi/pulumi";
import { API_METRICS_PORT, API_PORT, DB_HOST, apiReplicaHost } from "../../components/names";
import { imageOpensslVersion, PROXY_CONTAINER_PORTS } from "../../components/edge-proxy";
import { renderRolesScript } from "../../components/render/postgres";
import type { Registered, RunResult } from "../support/mock-engine";
import { runIndex } from "../support/stacks";
import {
    CONTAINER,
    NETWORK,
    SEED_DIR,
    SEED_SCRIPT,
    VOLUME,
    env,
    label,
    mountedFile,
    mountedFileNames,
    networksOf,
    seederOf,
    seeders,
    upload,
} from "./stack-helpers";

let r: RunResult;
beforeAll(async () => {
    r = await runIndex("dev");
}, 60_000);

const db = () => r.one(CONTAINER, "nestflux-db");
const proxy = () => r.one(CONTAINER, "nestflux-proxy");
const apis = () => r.byType(CONTAINER).filter((c) => /-api-\d+$/.test(c.name));
const job = () => r.one(CONTAINER, "api-migrate");
/** The containers that keep running: everything else runs once and exits. */
const longRunning = () => [db(), ...apis(), proxy()];
const file = (c: Registered, path: string) => mountedFile(r, c, path);
const STACK = "nestflux:index:NestFlux";

describe("dev stack under mocks (the real index.ts)", () => {
    test("every resource hangs under the NestFlux component", () => {
        const root = r.resources.filter((x) => x.parentUrn === "");
        expect(root.map((x) => x.type)).toEqual([STACK]);
        for (const x of r.resources.filter((x) => x !== root[0])) {
            expect(x.parentUrn).toMatch(/^urn:pulumi:dev::nestflux::nestflux:index:NestFlux(::|\$)/);
        }
    });

    test("URNs carry the whole parent type chain, and every parent URN is a registered resource", () => {
        const urns = new Set(r.resources.map((x) => x.urn));
        expect(urns.size).toBe(r.resources.length);
        for (const x of r.resources.filter((x) => x.parentUrn !== "")) expect(urns).toContain(x.parentUrn);
        expect(r.one(CONTAINER, "db-config-seed").urn).toBe(
            `urn:pulumi:dev::nestflux::${STACK}$nestflux:security:Postgres$nestflux:storage:ServiceFiles$${CONTAINER}::nestflux-db-config-seed`,
        );
        // Provider resources sit inside their component, not directly under the stack.
        const parentChain = (c: Registered) => c.parentUrn.split("::")[2];
        expect(Object.fromEntries(r.byType(CONTAINER).map((c) => [c.name, parentChain(c)]))).toEqual({
            "nestflux-db": `${STACK}$nestflux:security:Postgres`,
            "nestflux-db-config-seed": `${STACK}$nestflux:security:Postgres$nestflux:storage:ServiceFiles`,
            "nestflux-db-initdb-seed": `${STACK}$nestflux:security:Postgres$nestflux:storage:ServiceFiles`,
            "nestflux-api-migrate": `${STACK}$nestflux:app:Api`,
            "nestflux-api-migrate-files-seed": `${STACK}$nestflux:app:Api$nestflux:storage:ServiceFiles`,
            "nestflux-api-0": `${STACK}$nestflux:app:Api`,
            "nestflux-api-files-seed": `${STACK}$nestflux:app:Api$nestflux:storage:ServiceFiles`,
            "nestflux-proxy": `${STACK}$nestflux:edge:EdgeProxy`,
            "nestflux-proxy-config-seed": `${STACK}$nestflux:edge:EdgeProxy$nestflux:storage:ServiceFiles`,
            "nestflux-proxy-site-seed": `${STACK}$nestflux:edge:EdgeProxy$nestflux:storage:ServiceFiles`,
        });
        // A dependency names the URN the engine knows, not a shortened one.
        expect(db().dependencies).toContain(r.one(CONTAINER, "db-config-seed").urn);
    });

    test("every container is a service, the schema job or a seeder", () => {
        const kinds = [...longRunning(), job(), ...seeders(r)].map((c) => c.name).sort();
        expect(kinds).toEqual(r.byType(CONTAINER).map((c) => c.name).sort());
        expect(seeders(r)).toHaveLength(6);
    });

    test("only the proxy publishes ports, on the configured local address, to nginx's unprivileged ports", () => {
        expect(r.byType(CONTAINER).filter((c) => (c.inputs.ports ?? []).length > 0).map((c) => c.name)).toEqual([proxy().name]);
        expect(PROXY_CONTAINER_PORTS).toEqual({ http: 8080, https: 8443 });
        expect(proxy().inputs.ports).toEqual([
            { internal: PROXY_CONTAINER_PORTS.http, external: 8080, ip: "127.0.0.1", protocol: "tcp" },
            { internal: PROXY_CONTAINER_PORTS.https, external: 8443, ip: "127.0.0.1", protocol: "tcp" },
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
        // No host address on the internal bridges, so the Docker host's own services are out of reach.
        const inhibit = Object.fromEntries(r.byType(NETWORK).map((n) => [n.inputs.name, n.inputs.options?.["com.docker.network.bridge.inhibit_ipv4"]]));
        expect(inhibit).toEqual({ "nestflux-dev-edge": undefined, "nestflux-dev-app": "true", "nestflux-dev-data": "true" });
    });

    test("the API is on app and data, reachable by its replica name, with no ports; the schema job on data only", () => {
        expect(apis()).toHaveLength(1);
        expect(networksOf(r, apis()[0]).map((n) => [n.name, n.aliases])).toEqual([
            ["nestflux-dev-app", [apiReplicaHost(0)]],
            ["nestflux-dev-data", []],
        ]);
        expect(networksOf(r, job())).toEqual([{ name: "nestflux-dev-data", internal: true, aliases: [] }]);
        expect(job().inputs.ports ?? []).toEqual([]);
    });

    test("seeders have no network at all", () => {
        for (const s of seeders(r)) {
            expect([s.name, s.inputs.networkMode]).toEqual([s.name, "none"]);
            expect(s.inputs.networksAdvanced ?? []).toEqual([]);
            expect(s.inputs.ports ?? []).toEqual([]);
        }
    });

    test("the DB certificate names the host the API dials, and the API verifies it fully", () => {
        const csr = r.one("tls:index/certRequest:CertRequest", "pki-db-csr");
        expect(csr.inputs.dnsNames).toContain(DB_HOST);
        for (const c of [apis()[0], job()]) {
            const url = new URL(file(c, env(c).DATABASE_URL_FILE).content);
            expect(url.hostname).toBe(DB_HOST);
            expect(url.searchParams.get("sslmode")).toBe("verify-full");
            expect(env(c).DATABASE_CA_FILE).toBe("/run/nestflux/db-ca.crt");
            expect(file(c, "/run/nestflux/db-ca.crt").content).toBe(r.outputs.caCertificatePem);
        }
    });

    test("PostgreSQL gets TLS-only rendered files, and every path in its config is a file it mounts", () => {
        const conf = file(db(), "/etc/nestflux/postgresql.conf").content.split("\n");
        expect(conf).toEqual(expect.arrayContaining(["ssl = on", "ssl_min_protocol_version = 'TLSv1.2'", "password_encryption = scram-sha-256"]));
        for (const key of ["hba_file", "ssl_cert_file", "ssl_key_file", "ssl_ca_file"]) {
            const line = conf.find((l) => l.startsWith(`${key} = `));
            const path = /'(.*)'/.exec(line ?? "")?.[1];
            expect([key, path]).toEqual([key, expect.stringMatching(/^\/etc\/nestflux\//)]);
            expect(() => file(db(), path!)).not.toThrow();
        }
        const hba = file(db(), "/etc/nestflux/pg_hba.conf").content;
        // The data network's subnet as Docker assigned it (the mock hands out 172.30.12.0/24).
        expect(hba).toContain("hostssl    all       nestflux,nestflux_owner  172.30.12.0/24  scram-sha-256\n");
        expect(hba).not.toMatch(/^host\s/m);
    });

    test("secrets travel as secret uploads of seeders, owned by the service's user with tight modes", () => {
        const secretFile = (c: Registered, path: string, owner: string, mode = "0400") =>
            expect([path, file(c, path)]).toEqual([path, expect.objectContaining({ secret: true, permissions: mode, mode, owner })]);
        // PostgreSQL refuses a key that others can read or that it does not own.
        secretFile(db(), "/etc/nestflux/server.key", "999:999", "0600");
        for (const p of ["superuser_password", "owner_password", "app_password"]) secretFile(db(), `/etc/nestflux/${p}`, "999:999");
        secretFile(proxy(), "/etc/nestflux/privkey.pem", "101:101");
        secretFile(apis()[0], "/run/nestflux/database_url", "1000:1000");
        secretFile(apis()[0], "/run/nestflux/jwt_secret", "1000:1000");
        secretFile(job(), "/run/nestflux/database_url", "1000:1000");
        secretFile(job(), "/run/nestflux/admin_password", "1000:1000");
        // Whatever the file, a key, password, secret or URL with credentials is never plain.
        for (const s of seeders(r)) {
            for (const u of s.inputs.uploads as { file: string }[]) {
                if (/key|password|secret|database_url/.test(u.file)) {
                    expect([s.name, u.file, upload(s, u.file).secret]).toEqual([s.name, u.file, true]);
                    expect(["0400", "0600"]).toContain(upload(s, u.file).permissions);
                }
            }
        }
        expect(r.one("random:index/randomPassword:RandomPassword", "jwt-secret").inputs.length).toBeGreaterThanOrEqual(32);
        for (const role of ["superuser", "owner", "app"]) {
            expect(r.one("random:index/randomPassword:RandomPassword", `db-${role}-password`).inputs.length).toBeGreaterThanOrEqual(32);
        }
    });

    test("the admin is created by the schema job, not by the replicas", () => {
        expect(env(job())).toMatchObject({ ADMIN_EMAIL: "admin@example.com", ADMIN_PASSWORD_FILE: "/run/nestflux/admin_password" });
        expect(file(job(), "/run/nestflux/admin_password").content).toBe(r.outputs.adminPassword);
        for (const c of apis()) {
            expect(Object.keys(env(c)).filter((k) => k.startsWith("ADMIN_"))).toEqual([]);
            expect(mountedFileNames(r, c, "/run/nestflux")).not.toContain("admin_password");
        }
    });

    test("no secret appears in env vars or plain outputs", async () => {
        const secrets = seeders(r).flatMap((s) =>
            (s.inputs.uploads as { file: string }[]).map((u) => upload(s, u.file)).filter((u) => u.secret).map((u) => u.content),
        );
        expect(secrets.length).toBeGreaterThan(0);
        for (const c of r.byType(CONTAINER)) {
            for (const e of c.inputs.envs ?? []) {
                expect(e).not.toMatch(/PASSWORD=|SECRET=|postgresql:\/\//);
                for (const s of secrets) expect(e).not.toContain(s);
            }
        }
        expect(await pulumi.isSecret(r.exports.dbPassword as pulumi.Output<string>)).toBe(true);
        expect(await pulumi.isSecret(r.exports.adminPassword as pulumi.Output<string>)).toBe(true);
        const password = file(db(), "/etc/nestflux/app_password").content;
        expect(r.outputs.dbPassword).toBe(password);
        const plain = JSON.stringify(Object.entries(r.outputs).filter(([k]) => !k.endsWith("Password")));
        expect(plain).not.toContain(password);
        expect(plain).not.toContain("PRIVATE KEY");
        // The superuser's and the owner's passwords are in no output at all.
        for (const p of ["superuser_password", "owner_password"]) expect(JSON.stringify(r.outputs)).not.toContain(file(db(), `/etc/nestflux/${p}`).content);
    });

    test("least privilege in the database: replicas log in as the app role, the schema job as the owner, nobody else as the superuser", () => {
        const pw = (p: string) => file(db(), `/etc/nestflux/${p}`).content;
        const login = (c: Registered) => new URL(file(c, "/run/nestflux/database_url").content);
        expect([login(apis()[0]).username, login(apis()[0]).password]).toEqual(["nestflux", pw("app_password")]);
        expect([login(job()).username, login(job()).password]).toEqual(["nestflux_owner", pw("owner_password")]);
        // The superuser password reaches the database's own volume and nothing else.
        const holders = seeders(r).filter((s) => JSON.stringify(s.inputs.uploads).includes(pw("superuser_password")));
        expect(holders.map((s) => s.name)).toEqual(["nestflux-db-config-seed"]);
        const ownerHolders = seeders(r).filter((s) => JSON.stringify(s.inputs.uploads).includes(pw("owner_password")));
        expect(ownerHolders.map((s) => s.name).sort()).toEqual(["nestflux-api-migrate-files-seed", "nestflux-db-config-seed"]);
        // The replicas' files hold the app role's login and no other.
        const replicaFiles = JSON.stringify(seederOf(r, "nestflux-dev-api-files").inputs.uploads);
        expect(replicaFiles).not.toContain(pw("owner_password"));
        expect(replicaFiles).not.toContain(pw("superuser_password"));
    });

    test("PostgreSQL runs as 999:999 with a read-only root, the bootstrap superuser's password in a file", () => {
        const c = db();
        expect(c.inputs.user).toBe("999:999");
        expect(c.inputs.entrypoints).toBeUndefined();
        expect(c.inputs.command).toEqual(["postgres", "-c", "config_file=/etc/nestflux/postgresql.conf"]);
        expect(env(c)).toEqual({
            POSTGRES_USER: "postgres",
            POSTGRES_DB: "nestflux",
            POSTGRES_PASSWORD_FILE: "/etc/nestflux/superuser_password",
            PGDATA: "/var/lib/postgresql/data/pgdata",
        });
        expect(() => file(c, env(c).POSTGRES_PASSWORD_FILE)).not.toThrow();
        expect(c.inputs.readOnly).toBe(true);
        expect(Object.keys(c.inputs.tmpfs).sort()).toEqual(["/tmp", "/var/run/postgresql"]);
        // The socket directory belongs to the server's uid, or it cannot create its socket there.
        expect(c.inputs.tmpfs["/var/run/postgresql"].split(",")).toEqual(expect.arrayContaining(["uid=999", "gid=999", "mode=0700", "noexec", "nosuid"]));
        expect(c.inputs.capabilities).toEqual({ drops: ["ALL"] });
        expect(c.inputs.wait).toBe(true);
        expect(c.inputs.volumes).toEqual([
            { volumeName: "nestflux-dev-pgdata", containerPath: "/var/lib/postgresql/data" },
            { volumeName: "nestflux-dev-db-config", containerPath: "/etc/nestflux", readOnly: true },
            { volumeName: "nestflux-dev-db-initdb", containerPath: "/docker-entrypoint-initdb.d", readOnly: true },
        ]);
        // The data outlives the container; file volumes are rebuilt from state at will.
        expect(r.byType(VOLUME).filter((v) => v.retainOnDelete).map((v) => v.inputs.name)).toEqual(["nestflux-dev-pgdata"]);
        // Mode before owner: root in the seeder has no CAP_FOWNER for a file it gave away.
        const script = upload(file(c, "/etc/nestflux/server.key").seeder, SEED_SCRIPT).content.split("\n");
        expect(script.indexOf("chmod 0600 server.key")).toBeGreaterThanOrEqual(0);
        expect(script.indexOf("chmod 0600 server.key")).toBeLessThan(script.indexOf("chown 999:999 server.key"));
    });

    test("the initdb volume creates the owner and the app role, with passwords read from the config volume", () => {
        expect(mountedFileNames(r, db(), "/docker-entrypoint-initdb.d")).toEqual(["10-roles.sh"]);
        const roles = file(db(), "/docker-entrypoint-initdb.d/10-roles.sh");
        expect(roles).toMatchObject({ secret: false, mode: "0555", owner: "999:999" });
        expect(roles.content).toBe(renderRolesScript({ database: "nestflux", ownerRole: "nestflux_owner", appRole: "nestflux", dumpRole: "nestflux_dump", passwordDir: "/etc/nestflux" }));
        for (const p of ["owner_password", "app_password"]) {
            expect(roles.content).toContain(`cat /etc/nestflux/${p}`);
            expect(roles.content).not.toContain(file(db(), `/etc/nestflux/${p}`).content);
        }
        expect(roles.content).not.toMatch(/(^|[^O])SUPERUSER/m);
    });

    test("the schema job runs once, as the owner, before the replica, which does not migrate", () => {
        const j = job();
        expect(j.inputs).toMatchObject({
            name: "nestflux-dev-api-migrate",
            command: ["node", "dist/migrate.js"],
            attach: true,
            mustRun: false,
            restart: "no",
            readOnly: true,
            init: true,
            user: "1000:1000",
        });
        expect(j.inputs.maxRetryCount).toBeUndefined();
        expect(mountedFileNames(r, j, "/run/nestflux")).toEqual(["admin_password", "database_url", "db-ca.crt"]);
        expect(env(j).JWT_SECRET_FILE).toBeUndefined();
        for (const c of apis()) {
            expect(env(c).MIGRATE_ON_START).toBe("false");
            expect(c.inputs).toMatchObject({ wait: true, init: true, readOnly: true });
            expect(label(c, "nestflux.schema-job")).toBe(j.id);
            expect(c.dependencies).toContain(j.urn);
            expect(mountedFileNames(r, c, "/run/nestflux")).toEqual(["database_url", "db-ca.crt", "jwt_secret"]);
        }
    });

    test("no container combines a read-only root with uploads (Docker cannot copy into one)", () => {
        const containers = r.byType(CONTAINER);
        expect(containers.length).toBeGreaterThan(0);
        for (const c of containers) {
            const uploads = (c.inputs.uploads ?? []) as unknown[];
            expect([c.name, c.inputs.readOnly === true && uploads.length > 0]).toEqual([c.name, false]);
        }
        // The services and the schema job are the read-only ones, and they get no uploads.
        for (const c of [...longRunning(), job()]) {
            expect([c.name, c.inputs.readOnly, c.inputs.uploads ?? []]).toEqual([c.name, true, []]);
        }
        for (const s of seeders(r)) expect(upload(s, SEED_SCRIPT).permissions).toBe("0500");
    });

    test("every long-running container mounts its files volume read-only and carries its seeders' ids", () => {
        for (const c of [...longRunning(), job()]) {
            const volumes = c.inputs.volumes as { volumeName?: string; containerPath: string; readOnly?: boolean }[];
            const seededVolumes = volumes.filter((v) => v.volumeName && seeders(r).some((s) => s.inputs.volumes.some((sv: any) => sv.volumeName === v.volumeName)));
            expect([c.name, seededVolumes.length > 0]).toEqual([c.name, true]);
            for (const v of seededVolumes) expect([c.name, v.containerPath, v.readOnly]).toEqual([c.name, v.containerPath, true]);
            // Any change of a file replaces the seeder, which changes this label and so replaces the service.
            const revision = label(c, "nestflux.files-revision")!.split(",").sort();
            expect([c.name, revision]).toEqual([c.name, seededVolumes.map((v) => seederOf(r, v.volumeName!).id).sort()]);
            for (const v of seededVolumes) expect(c.dependencies).toContain(seederOf(r, v.volumeName!).urn);
            // The only writable mount of any of them is the database's data.
            const writable = volumes.filter((v) => !v.readOnly).map((v) => v.volumeName);
            expect([c.name, writable]).toEqual([c.name, c === db() ? ["nestflux-dev-pgdata"] : []]);
        }
    });

    test("a seeder writes into its volume only, with the service's own image", () => {
        for (const c of [...longRunning(), job()]) {
            for (const v of (c.inputs.volumes as any[]).filter((v) => v.readOnly && v.volumeName)) {
                const s = seederOf(r, v.volumeName);
                expect([s.name, s.inputs.image]).toEqual([s.name, c.inputs.image]);
                expect(s.inputs.volumes).toEqual([{ volumeName: v.volumeName, containerPath: SEED_DIR }]);
            }
        }
    });

    test("hardening of long-running containers: no-new-privileges, no capabilities, memory and CPU limits, bounded restarts, health checks", () => {
        for (const c of longRunning()) {
            expect([c.name, c.inputs.securityOpts]).toEqual([c.name, ["no-new-privileges:true"]]);
            expect([c.name, c.inputs.capabilities]).toEqual([c.name, { drops: ["ALL"] }]);
            expect([c.name, c.inputs.cpus]).toEqual([c.name, "1.0"]);
            expect([c.name, c.inputs.restart, c.inputs.maxRetryCount]).toEqual([c.name, "on-failure", 5]);
            expect([c.name, c.inputs.readOnly, c.inputs.wait]).toEqual([c.name, true, true]);
            expect(c.inputs.healthcheck.tests.length).toBeGreaterThan(0);
        }
        expect([db().inputs.memory, apis()[0].inputs.memory, proxy().inputs.memory]).toEqual([512, 256, 128]);
        expect([db().inputs.user, apis()[0].inputs.user, proxy().inputs.user]).toEqual(["999:999", "1000:1000", "101:101"]);
        expect(db().inputs.healthcheck.tests.join(" ")).toContain("pg_isready");
        expect(proxy().inputs.healthcheck.tests).toEqual(["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]);
    });

    test("hardening of one-shot containers: they run to completion once, never restart, seeders may only chown", () => {
        for (const c of [job(), ...seeders(r)]) {
            expect([c.name, c.inputs.attach, c.inputs.mustRun, c.inputs.restart]).toEqual([c.name, true, false, "no"]);
            expect([c.name, c.inputs.securityOpts]).toEqual([c.name, ["no-new-privileges:true"]]);
            expect(c.inputs.memory).toBeGreaterThan(0);
            expect(Number(c.inputs.cpus)).toBeGreaterThan(0);
            expect(c.inputs.maxRetryCount).toBeUndefined();
        }
        expect(job().inputs.capabilities).toEqual({ drops: ["ALL"] });
        for (const s of seeders(r)) {
            expect([s.name, s.inputs.user, s.inputs.capabilities]).toEqual([s.name, "0:0", { drops: ["ALL"], adds: ["CHOWN"] }]);
            expect(s.inputs.entrypoints).toEqual(["/bin/sh", SEED_SCRIPT]);
            expect(label(s, "nestflux.role")).toBe("seed");
        }
    });

    test("containers run image IDs, not names, and are deleted before replacement", () => {
        for (const c of r.byType(CONTAINER)) {
            expect([c.name, c.inputs.image]).toEqual([c.name, expect.stringMatching(/^sha256:/)]);
            expect([c.name, c.deleteBeforeReplace]).toEqual([c.name, true]);
        }
    });

    test("leaf keys carry the rotation trigger; the CA key does not", () => {
        const keys = r.byType("tls:index/privateKey:PrivateKey");
        const trigger = r.one("tls:index/privateKey:PrivateKey", "pki-db-key").replacementTrigger;
        expect(trigger).toMatch(/^#\d+$/);
        for (const k of keys) expect(k.replacementTrigger).toBe(k.name.endsWith("-ca-key") ? undefined : trigger);
    });

    test("the proxy serves a generated edge certificate for the domain and re-resolves the replica", () => {
        expect(r.one("tls:index/certRequest:CertRequest", "pki-edge-csr").inputs.dnsNames).toEqual(["localhost"]);
        const p = proxy();
        expect(p.inputs.entrypoints).toEqual(["nginx", "-c", "/etc/nestflux/nginx.conf", "-g", "daemon off;"]);
        expect(mountedFileNames(r, p, "/etc/nestflux")).toEqual(["fullchain.pem", "nginx.conf", "privkey.pem"]);
        const conf = file(p, "/etc/nestflux/nginx.conf").content;
        const lines = conf.split("\n").map((l) => l.trim());
        expect(lines).toContain(`server ${apiReplicaHost(0)}:${API_PORT} max_fails=3 fail_timeout=10s resolve;`);
        expect(lines).toContain("resolver 127.0.0.11 valid=5s ipv6=off;");
        expect(lines).toContain("proxy_pass http://api_backend;");
        expect(lines).toContain('add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;');
        expect(lines).toContain("return 301 https://localhost:8443$request_uri;");
        expect(lines).toContain("ssl_certificate /etc/nestflux/fullchain.pem;");
        expect(lines).toContain("ssl_certificate_key /etc/nestflux/privkey.pem;");
        expect(label(p, "nestflux.config-sha256")).toMatch(/^[0-9a-f]{64}$/);
    });

    test("the default trixie image (OpenSSL 3.5) leads key exchange with X25519MLKEM768; an image of unknown OpenSSL does not", () => {
        expect(file(proxy(), "/etc/nestflux/nginx.conf").content).toContain("ssl_ecdh_curve X25519MLKEM768:X25519:prime256v1:secp384r1;");
        expect([imageOpensslVersion("nginx:1.30.6-trixie"), imageOpensslVersion("nginx:1.28.0-bookworm")]).toEqual(["3.5", "3.0"]);
        expect(imageOpensslVersion("nginx:1.30.6-alpine")).toBeUndefined();
        expect(imageOpensslVersion(`nginx@sha256:${"a".repeat(64)}`)).toBeUndefined();
    });

    test("the API serves metrics on its own port, which nothing publishes and the proxy never routes to", () => {
        const api = r.one(CONTAINER, "nestflux-api-0");
        expect(env(api).METRICS_PORT).toBe(String(API_METRICS_PORT));
        expect(api.inputs.ports ?? []).toEqual([]);
        expect(file(proxy(), "/etc/nestflux/nginx.conf").content).not.toContain(String(API_METRICS_PORT));
    });

    test("nginx runs unprivileged: no user directive, pid on tmpfs, listening on 8080 and 8443", () => {
        const conf = file(proxy(), "/etc/nestflux/nginx.conf").content;
        const lines = conf.split("\n").map((l) => l.trim());
        expect(lines.filter((l) => /^user\s/.test(l))).toEqual([]);
        expect(lines).toContain("pid /tmp/nginx.pid;");
        expect(Object.keys(proxy().inputs.tmpfs).sort()).toEqual(["/tmp", "/var/cache/nginx"]);
        expect(proxy().inputs.tmpfs["/var/cache/nginx"].split(",")).toEqual(expect.arrayContaining(["uid=101", "gid=101", "mode=0700", "noexec"]));
        expect(lines).toContain("proxy_temp_path /var/cache/nginx/proxy;");
        expect(lines).toContain(`listen ${PROXY_CONTAINER_PORTS.http};`);
        expect(lines).toContain(`listen ${PROXY_CONTAINER_PORTS.https} ssl;`);
        expect(lines.filter((l) => l.startsWith("listen "))).toHaveLength(2);
        expect(proxy().inputs.capabilities).toEqual({ drops: ["ALL"] });
    });

    test("without spaDir the placeholder page comes from its own read-only volume", () => {
        const page = file(proxy(), "/usr/share/nginx/html/index.html");
        expect(page.mount).toEqual({ volumeName: "nestflux-dev-proxy-site", containerPath: "/usr/share/nginx/html", readOnly: true });
        expect(page).toMatchObject({ secret: false, owner: "101:101", mode: "0444" });
        expect(page.content).toContain("<h1>NestFlux on localhost</h1>");
    });

    test("stack outputs: URL, CA, expiry times, names", () => {
        expect(r.outputs.url).toBe("https://localhost:8443/");
        expect(r.outputs.caCertificatePem).toContain("BEGIN CERTIFICATE");
        expect(Object.keys(r.outputs.certificateExpiry as object).sort()).toEqual(["ca", "db", "edge"]);
        expect(r.outputs.networks).toEqual({ edge: "nestflux-dev-edge", app: "nestflux-dev-app", data: "nestflux-dev-data" });
        expect(r.outputs.containers).toEqual({ db: "nestflux-dev-db", api: ["nestflux-dev-api-0"], proxy: "nestflux-dev-proxy" });
    });
});

describe("dev stack with CPU limits and host directories set", () => {
    let custom: RunResult;
    beforeAll(async () => {
        custom = await runIndex("dev", {
            "nestflux:dbCpus": "0.5",
            "nestflux:apiCpus": "2",
            "nestflux:proxyCpus": "0.25",
            "nestflux:spaDir": "/srv/nestflux/spa",
            "nestflux:acmeDir": "/srv/nestflux/acme",
        });
    }, 60_000);

    test("dbCpus, apiCpus and proxyCpus reach their containers", () => {
        expect(custom.one(CONTAINER, "nestflux-db").inputs.cpus).toBe("0.5");
        expect(custom.one(CONTAINER, "api-0").inputs.cpus).toBe("2");
        expect(custom.one(CONTAINER, "api-migrate").inputs.cpus).toBe("2");
        expect(custom.one(CONTAINER, "nestflux-proxy").inputs.cpus).toBe("0.25");
    });

    test("host directories are mounted read-only and replace the placeholder volume", () => {
        const p = custom.one(CONTAINER, "nestflux-proxy");
        expect(p.inputs.volumes).toEqual([
            { volumeName: "nestflux-dev-proxy-config", containerPath: "/etc/nestflux", readOnly: true },
            { hostPath: "/srv/nestflux/spa", containerPath: "/usr/share/nginx/html", readOnly: true },
            { hostPath: "/srv/nestflux/acme", containerPath: "/var/www/acme", readOnly: true },
        ]);
        expect(custom.byType(CONTAINER).map((c) => c.name)).not.toContain("nestflux-proxy-site-seed");
        expect(label(p, "nestflux.files-revision")).toBe(custom.one(CONTAINER, "proxy-config-seed").id);
        expect(mountedFile(custom, p, "/etc/nestflux/nginx.conf").content).toContain("root /var/www/acme;");
    });
});
