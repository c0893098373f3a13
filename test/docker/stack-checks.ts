import * as fs from "fs";
import * as net from "net";
import { DB_HOST } from "../../components/names";
import { backupRecipient } from "../support/stacks";
import { runTestssl, unexpectedFindings } from "../support/testssl";
import { ApiSession, Edge, api, curl, expectedHeaders, hardeningProblems, headerLines, login, psqlAsApi, statusOf, waitHttp } from "./checks";
import { docker, dockerOk, inspect, sleep } from "./driver/engine";
import { Deployment, exec, host, imageReport, log, runOn, stackContainers } from "./harness";

/**
 * What the tier proves for one stack: deploy, check from outside and inside, a second and third
 * `pulumi up` with changed config (API replaced, DB replaced on its volume, certificates rotated),
 * then destroy. Each `test` prints as one check.
 */
/** Config changes for the second, third and fourth `pulumi up`. */
export interface Lifecycle {
    /** A key whose change replaces the API containers, and its new value. */
    api: string;
    apiValue: string;
    /** A key whose change replaces the DB container, and its new value. */
    db: string;
    dbValue: string;
    /** Whether a new certRotation re-issues the edge certificate (not for a provided one). */
    edgeRotates: boolean;
    /** When the stack takes backups: the private key of backupRecipientCertificate (the operator's). */
    backupKeyPem?: string;
}

export function describeStack(name: string, make: () => { deployment: Deployment; edge: () => Edge; lifecycle: Lifecycle }): void {
    describe(name, () => {
        let d: Deployment;
        let edge: Edge;
        let lifecycle: Lifecycle;
        let session: ApiSession;
        let destroyed = false;

        beforeAll(async () => {
            const m = make();
            d = m.deployment;
            lifecycle = m.lifecycle;
            await d.up();
            edge = m.edge();
            log(`${d.stack}: images ${imageReport().join(", ")}`);
        });
        afterAll(async () => {
            if (!destroyed) await d?.destroy().catch((e) => log(`destroy after failure: ${e.message}`));
            for (const v of ["pgdata", "backups"]) docker(["volume", "rm", `${d?.prefix}-${v}`]);
            d?.cleanup();
        });

        const running = () => stackContainers(d.stack).filter((c) => c.Config.Labels["nestflux.role"] !== "seed");
        const backupsOn = () => Number(d.setting("backupIntervalMinutes")) > 0;

        test("every long-running container is healthy; every one-shot container exited 0", () => {
            const all = stackContainers(d.stack, true);
            const longRunning = all.filter((c) => c.State.Running);
            expect(longRunning.map((c) => c.Name).sort()).toEqual(
                [
                    `/${d.prefix}-db`,
                    `/${d.prefix}-proxy`,
                    ...Array.from({ length: Number(d.config["nestflux:apiReplicas"]) }, (_, i) => `/${d.prefix}-api-${i}`),
                    ...(backupsOn() ? [`/${d.prefix}-backup`] : []),
                ].sort(),
            );
            for (const c of longRunning) expect([c.Name, c.State.Health?.Status]).toEqual([c.Name, "healthy"]);
            for (const c of all.filter((c) => !c.State.Running)) expect([c.Name, c.State.ExitCode]).toEqual([c.Name, 0]);
        });

        test("read-only roots, non-root users, no capabilities, CPU and memory limits, bounded restarts (docker inspect)", () => {
            const problems = running().flatMap(hardeningProblems);
            expect(problems).toEqual([]);
            // CIS 5.29: @pulumi/docker 5.2.0 has no pidsLimit; the gap is printed, not hidden.
            for (const c of running()) log(`  ${c.Name}: PidsLimit=${c.HostConfig.PidsLimit ?? "unset"} (CIS 5.29 gap, see README)`);
        });

        test("only the proxy publishes ports, and only on the configured address", () => {
            const published = running().filter((c) => Object.values(c.HostConfig.PortBindings ?? {}).some((b: any) => b?.length));
            expect(published.map((c) => c.Name)).toEqual([`/${d.prefix}-proxy`]);
            const bindings = Object.values(published[0].HostConfig.PortBindings).flat() as any[];
            expect(new Set(bindings.map((b) => b.HostIp))).toEqual(new Set([d.config["nestflux:bindAddress"]]));
        });

        test("HTTPS through the published port with the stack's trust; HTTP answers 301 to the configured name", () => {
            expect(statusOf(curl(edge, "/api/health").stdout)).toBe(200);
            const r = curl(edge, "/some/page?x=1", [], "http");
            expect(statusOf(r.stdout)).toBe(301);
            const location = headerLines(r.stdout).find(([k]) => k === "location")?.[1];
            expect(location).toBe(`https://${edge.domain}${edge.httpsPort === 443 ? "" : `:${edge.httpsPort}`}/some/page?x=1`);
        });

        test("security headers exactly once, on the SPA and on proxied API answers", () => {
            for (const p of ["/", "/api/health"]) {
                const headers = headerLines(curl(edge, p).stdout);
                for (const h of expectedHeaders(d)) {
                    expect([p, h, headers.filter(([k]) => k === h).length]).toEqual([p, h, 1]);
                }
            }
        });

        test("TLS 1.0 and 1.1 are refused; TLS 1.2 and 1.3 are served; HTTP/2 is negotiated", () => {
            const tls = (flag: string) =>
                host("openssl", ["s_client", "-connect", `127.0.0.1:${edge.httpsPort}`, "-servername", edge.domain, flag, "-cipher", "DEFAULT:@SECLEVEL=0", "-CAfile", edge.caPath], "");
            for (const old of ["-tls1", "-tls1_1"]) {
                const out = tls(old);
                expect(out.code).not.toBe(0);
                // The server's alert, not a client-side refusal.
                expect(out.stderr).toMatch(/alert protocol version|unsupported protocol/);
                expect(out.stdout).not.toMatch(/Cipher is (?!\(NONE\))/);
            }
            expect(tls("-tls1_2").stdout).toMatch(/Verify return code: 0/);
            expect(tls("-tls1_3").stdout).toMatch(/TLSv1\.3/);
            expect(curl(edge, "/", ["--http2", "-w", "%{http_version}"]).stdout.trim().split("\n").pop()).toBe("2");
        });

        test("testssl against the published port with the stack's trust: nothing MEDIUM or worse beyond the allowlist", () => {
            const findings = runTestssl({ ip: "127.0.0.1", port: edge.httpsPort, servername: edge.domain, caPath: edge.caPath }, d.dir);
            expect(findings.length).toBeGreaterThan(50);
            expect(findings.find((f) => f.id === "scanProblem")).toBeUndefined();
            expect(unexpectedFindings(findings)).toEqual([]);
            const proto = (id: string) => findings.find((f) => f.id === id)?.finding ?? "";
            for (const old of ["SSLv2", "SSLv3", "TLS1", "TLS1_1"]) expect([old, proto(old)]).toEqual([old, expect.stringMatching(/^not offered/)]);
            expect(findings.filter((f) => f.id.startsWith("cert_chain_of_trust")).every((f) => /passed/i.test(f.finding))).toBe(true);
        });

        test("an authenticated round trip through the proxy (login, create, list)", () => {
            session = login(edge, d.config["nestflux:adminEmail"], d.outputs.adminPassword);
            const created = api(edge, session, "POST", "/api/notes", { title: "written before the replacements", body: "docker tier" });
            expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
            const listed = api(edge, session, "GET", "/api/notes");
            expect(JSON.stringify(listed)).toContain(created.id);
        });

        test("the API's own login: verify-full to the DB host name works; plaintext is refused by pg_hba", () => {
            const ok = psqlAsApi(d, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
            expect(ok.stderr).toBe("");
            expect(ok.stdout.trim()).toBe("t");
            const plain = psqlAsApi(d, "SELECT 1", (u) => `$(echo ${u} | sed 's/sslmode=verify-full/sslmode=disable/')`);
            expect(plain.code).not.toBe(0);
            expect(plain.stderr).toMatch(/no encryption|pg_hba\.conf rejects/);
        });

        test("the API's role is no superuser, cannot create roles or databases, and COPY … TO PROGRAM is refused", () => {
            const role = psqlAsApi(d, "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user");
            expect(role.stdout.trim()).toBe("f|f|f");
            const copy = psqlAsApi(d, "COPY (SELECT 1) TO PROGRAM 'id'");
            expect(copy.code).not.toBe(0);
            expect(copy.stderr).toMatch(/permission denied|must be superuser|pg_execute_server_program/);
            const ddl = psqlAsApi(d, "CREATE TABLE intruder (x int)");
            expect(ddl.stderr).toMatch(/permission denied/);
        });

        test("the bootstrap superuser cannot log in over the network, even with its password", () => {
            const r = runOn(
                `${d.prefix}-data`,
                d.setting("dbImage"),
                ["-c", `PGPASSWORD="$(cat /etc/nestflux/superuser_password)" psql "host=${DB_HOST} dbname=${d.setting("dbName")} user=postgres sslmode=verify-full sslrootcert=/etc/nestflux/ca.crt" -X -At -c "SELECT 1"`],
                { mounts: [`${d.prefix}-db-config:/etc/nestflux:ro`], user: "999:999", entrypoint: "/bin/sh" },
            );
            expect(r.code).not.toBe(0);
            expect(r.stderr).toMatch(/no pg_hba\.conf entry for host .*user "postgres"/);
        });

        test("the proxy can neither resolve nor reach the database", () => {
            const proxy = `${d.prefix}-proxy`;
            expect(exec(proxy, ["getent", "hosts", DB_HOST]).code).not.toBe(0);
            const dbIp = Object.values(inspect("container", `${d.prefix}-db`).NetworkSettings.Networks as Record<string, any>)[0].IPAddress;
            expect(exec(proxy, ["curl", "-sS", "--max-time", "3", `telnet://${dbIp}:5432`]).code).not.toBe(0);
        });

        test("app and data networks are internal: neither the API nor the DB reaches the Docker host (a host listener as the target)", async () => {
            for (const n of ["app", "data"]) expect([n, inspect("network", `${d.prefix}-${n}`).Internal]).toEqual([n, true]);
            // Only traffic to this machine: a listener on the host, dialled through the edge
            // network's gateway. A container on edge reaches it (the control); the API must not.
            const server = net.createServer((s) => s.end()).listen(0, "0.0.0.0");
            await new Promise((r) => server.once("listening", r));
            try {
                const port = (server.address() as net.AddressInfo).port;
                // The proxy's own view: a network created with a fixed subnet lists no gateway in its IPAM config.
                const gateway = inspect("container", `${d.prefix}-proxy`).NetworkSettings.Networks[`${d.prefix}-edge`].Gateway;
                expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
                const dial = `const s=require('net').connect(${port},'${gateway}');s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),4000)`;
                const image = inspect("container", `${d.prefix}-api-0`).Image;
                expect(runOn(`${d.prefix}-edge`, image, ["-e", dial], { entrypoint: "node" }).code).toBe(0);
                expect(exec(`${d.prefix}-api-0`, ["node", "-e", dial]).code).not.toBe(0);
                // bash's /dev/tcp in the DB container: it connects to the server's own port (the
                // control), not to the host.
                const dbDial = (host: string, p: number) => exec(`${d.prefix}-db`, ["bash", "-c", `timeout 4 bash -c 'exec 3<>/dev/tcp/${host}/${p}'`]).code;
                expect(dbDial("127.0.0.1", 5432)).toBe(0);
                expect(dbDial(gateway, port)).not.toBe(0);
            } finally {
                server.close();
            }
        });

        test("no secret in docker inspect of any container, network or volume (env, labels, args)", () => {
            const secrets = d.secretValues().filter((s) => s.length >= 16);
            expect(secrets.length).toBeGreaterThan(3);
            const text = [
                dockerOk(["inspect", ...stackContainers(d.stack, true).map((c) => c.Id)]),
                dockerOk(["network", "inspect", `${d.prefix}-edge`, `${d.prefix}-app`, `${d.prefix}-data`]),
                dockerOk(["volume", "inspect", ...dockerOk(["volume", "ls", "-q", "--filter", `label=nestflux.stack=${d.stack}`]).split("\n").filter((v) => v)]),
            ].join("\n");
            expect(secrets.filter((s) => text.includes(s))).toEqual([]);
        });

        test("lifecycle: the API containers are replaced → the proxy answers again without a restart", async () => {
            const proxyBefore = inspect("container", `${d.prefix}-proxy`);
            const apiBefore = inspect("container", `${d.prefix}-api-0`).Id;
            await d.up({ [lifecycle.api]: lifecycle.apiValue });
            expect(inspect("container", `${d.prefix}-api-0`).Id).not.toBe(apiBefore);
            const proxyAfter = inspect("container", `${d.prefix}-proxy`);
            expect(proxyAfter.Id).toBe(proxyBefore.Id);
            expect(proxyAfter.State.StartedAt).toBe(proxyBefore.State.StartedAt);
            expect(await waitHttp(edge, "/api/health", 200, 30000)).toBe(200);
        });

        test("lifecycle: the DB container is replaced on its volume → rows written before are there", async () => {
            const dbBefore = inspect("container", `${d.prefix}-db`).Id;
            await d.up({ [lifecycle.db]: lifecycle.dbValue });
            expect(inspect("container", `${d.prefix}-db`).Id).not.toBe(dbBefore);
            expect(await waitHttp(edge, "/api/health", 200, 60000)).toBe(200);
            session = login(edge, d.config["nestflux:adminEmail"], d.outputs.adminPassword);
            expect(JSON.stringify(api(edge, session, "GET", "/api/notes"))).toContain("written before the replacements");
        });

        test("lifecycle: a new certRotation value → a new edge certificate is served", async () => {
            const serial = () => host("sh", ["-c", `echo | openssl s_client -connect 127.0.0.1:${edge.httpsPort} -servername ${edge.domain} 2>/dev/null | openssl x509 -noout -serial -fingerprint -sha256`]).stdout;
            const before = serial();
            await d.up({ "nestflux:certRotation": `docker-tier-${Date.now()}` });
            await sleep(1000);
            const after = serial();
            expect(after).toMatch(/serial=/);
            if (lifecycle.edgeRotates) expect(after).not.toBe(before);
            else expect(after).toBe(before); // a provided certificate is the user's: rotation leaves it alone
            expect(await waitHttp(edge, "/api/health", 200, 60000)).toBe(200);
        });

        test("backups: encrypted, checked, kept for the retention; the DB container and its volume destroyed → restored with every row", async () => {
            if (!backupsOn()) {
                // This stack takes no backups: nothing runs that could be checked.
                expect(stackContainers(d.stack, true).map((c) => c.Name)).not.toContain(`/${d.prefix}-backup`);
                return;
            }
            const b = `${d.prefix}-backup`;
            const dir = "/var/lib/postgresql";
            const checksum = () => psqlAsApi(d, "SELECT count(*) || ':' || md5(string_agg(id::text || title || coalesce(body, ''), ',' ORDER BY id)) FROM notes").stdout.trim();
            const rowsBefore = checksum();
            expect(rowsBefore).toMatch(/^[1-9]\d*:[0-9a-f]{32}$/);

            // A backup now, timed (printed, not asserted).
            let t = Date.now();
            const once = exec(b, ["bash", "/etc/nestflux-backup/backup.sh", "once"]);
            expect([once.code, once.stderr]).toEqual([0, ""]);
            log(`${d.stack}: backup took ${Date.now() - t} ms`);
            const last = JSON.parse(exec(b, ["cat", `${dir}/last-success.json`]).stdout);
            expect(last.bytes).toBeGreaterThan(0);
            expect(JSON.parse(once.stdout.trim().split("\n").pop()!)).toMatchObject({ type: "backup", event: "backup_succeeded", file: last.file });
            expect(docker(["exec", "-w", dir, b, "sha256sum", "-c", `${last.file}.sha256`]).code).toBe(0);

            // Unreadable without the private key: no plaintext, and another key cannot open it.
            const raw = docker(["exec", b, "cat", `${dir}/${last.file}`]);
            expect(raw.stdout).not.toContain("written before the replacements");
            expect(raw.stdout).not.toContain("CREATE TABLE");
            const stranger = backupRecipient();
            expect(docker(["exec", "-i", b, "openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", `${dir}/${last.file}`, "-inkey", "/dev/stdin"], { input: stranger.keyPem }).code).not.toBe(0);

            // The backup role is refused without TLS and with another CA than the stack's.
            const dump = (params: string) =>
                exec(b, ["bash", "-c", `pg_dump --format=custom --no-password --dbname="host=${DB_HOST} dbname=${d.setting("dbName")} user=${d.setting("dbUser")}_dump ${params}" > /dev/null`]);
            const clientTls = d.setting("dbClientCerts") === "true" ? " sslcert=/etc/nestflux-backup/client.crt sslkey=/etc/nestflux-backup/client.key" : "";
            expect(dump(`sslmode=verify-full sslrootcert=/etc/nestflux-backup/db-ca.crt${clientTls}`).code).toBe(0); // the control
            expect(dump("sslmode=disable").stderr).toMatch(/no encryption|pg_hba\.conf rejects/);
            expect(dump(`sslmode=verify-full sslrootcert=/etc/nestflux-backup/recipient.crt${clientTls}`).stderr).toMatch(/certificate verify failed/);

            // Retention: exactly the backups older than backupRetentionDays go at the next backup.
            const days = Number(d.setting("backupRetentionDays"));
            const old = (name: string, age: number) =>
                dockerOk(["exec", b, "bash", "-c", `for f in ${dir}/${name} ${dir}/${name}.sha256; do echo x > $f; touch -d "${age} days ago" $f; done`]);
            old("nestflux-20000101T000000Z.dump.cms", days + 1);
            old("nestflux-20000102T000000Z.dump.cms", days - 1);
            expect(exec(b, ["bash", "/etc/nestflux-backup/backup.sh", "once"]).code).toBe(0);
            const kept = exec(b, ["bash", "-c", `ls -1 ${dir} | grep '^nestflux-'`]).stdout;
            expect(kept).not.toContain("nestflux-20000101T000000Z");
            expect(kept).toContain("nestflux-20000102T000000Z.dump.cms.sha256");
            dockerOk(["exec", b, "rm", "-f", `${dir}/nestflux-20000102T000000Z.dump.cms`, `${dir}/nestflux-20000102T000000Z.dump.cms.sha256`]);

            // Disaster: the DB container and its volume are gone. `pulumi up --refresh` would
            // recreate both; here the volume comes back as the stack labels it and a replacement
            // brings a fresh, empty server (roles only).
            dockerOk(["rm", "-f", `${d.prefix}-db`]);
            dockerOk(["volume", "rm", `${d.prefix}-pgdata`]);
            dockerOk(["volume", "create", "--label", `nestflux.stack=${d.stack}`, `${d.prefix}-pgdata`]);
            await d.up({ "nestflux:dbCpus": "0.9" });
            expect(psqlAsApi(d, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").stdout.trim()).toBe("0");

            // Restore the latest backup with the operator's key, timed.
            const keyFile = `${d.dir}/backup-key.pem`;
            fs.writeFileSync(keyFile, lifecycle.backupKeyPem!, { mode: 0o600 });
            t = Date.now();
            const restored = host("bash", ["scripts/restore-db.sh", d.stack, "--key", keyFile]);
            expect([restored.code, restored.stderr]).toEqual([0, ""]);
            log(`${d.stack}: restore took ${Date.now() - t} ms`);
            expect(checksum()).toBe(rowsBefore);
            expect(await waitHttp(edge, "/api/health", 200, 60000)).toBe(200);
            session = login(edge, d.config["nestflux:adminEmail"], d.outputs.adminPassword);
            expect(JSON.stringify(api(edge, session, "GET", "/api/notes"))).toContain("written before the replacements");

            // A second restore onto the now non-empty database is refused unless forced.
            const again = host("bash", ["scripts/restore-db.sh", d.stack, "--key", keyFile]);
            expect([again.code, again.stderr]).toEqual([1, expect.stringMatching(/already has \d+ tables; pass --force/)]);
            const forced = host("bash", ["scripts/restore-db.sh", d.stack, "--key", keyFile, "--force"]);
            expect([forced.code, forced.stderr]).toEqual([0, ""]);
            expect(checksum()).toBe(rowsBefore);
        });

        test("destroy → nothing left but the retained data volume", async () => {
            await d.destroy();
            destroyed = true;
            expect(stackContainers(d.stack, true)).toEqual([]);
            expect(dockerOk(["network", "ls", "-q", "--filter", `label=nestflux.stack=${d.stack}`]).trim()).toBe("");
            expect(dockerOk(["volume", "ls", "-q", "--filter", `label=nestflux.stack=${d.stack}`]).trim().split("\n").sort()).toEqual(
                [...(backupsOn() ? [`${d.prefix}-backups`] : []), `${d.prefix}-pgdata`].sort(),
            );
        });
    });
}
