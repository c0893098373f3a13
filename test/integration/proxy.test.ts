import { DEFAULTS } from "../../components/settings";
import * as https from "https";
import * as tls from "tls";
import { API_SERVICE_HOST, apiCertificateNames } from "../../components/names";
import { KeyPair, issueLeaf } from "../support/certs";
import { startApi } from "./harness/api";
import { NginxInstance, startNginx } from "./harness/nginx";
import { run } from "./harness/process";
import { describeIntegration } from "./harness/requirements";
import { Backend, JWT_SECRET, startBackend } from "./harness/stack";

jest.setTimeout(180000);

interface Response {
    status: number;
    headers: [string, string][];
    body: string;
    httpVersion: string;
}

function curl(url: string, caPath: string, extra: string[] = []): Response {
    const r = run("curl", ["-sS", "--cacert", caPath, "-D", "-", "-w", "\n%{http_version}", ...extra, url]);
    if (r.code !== 0) throw new Error(`curl ${url} failed: ${r.stderr}`);
    const [head, ...rest] = r.stdout.split("\r\n\r\n");
    const tail = rest.join("\r\n\r\n");
    const cut = tail.lastIndexOf("\n");
    const statusLine = head.split("\r\n")[0];
    return {
        status: Number(statusLine.split(" ")[1]),
        headers: head
            .split("\r\n")
            .slice(1)
            .map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as [string, string]),
        body: tail.slice(0, cut),
        httpVersion: tail.slice(cut + 1),
    };
}

const header = (r: Response, name: string) => r.headers.filter(([k]) => k === name.toLowerCase()).map(([, v]) => v);

function handshake(port: number, flag: string): string {
    return run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", flag, "-cipher", "DEFAULT:@SECLEVEL=0"], { input: "", timeoutMs: 15000 }).stdout;
}

/** Status of one GET on its own connection (a burst of these looks like many clients at once). */
function status(url: string, ca: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const req = https.get(url, { ca, agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
    });
}

async function rawUpgrade(port: number, caPem: string, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca: caPem, ALPNProtocols: ["http/1.1"] }, () => {
            socket.write(
                `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            );
        });
        let data = "";
        socket.on("data", (d) => {
            data += d.toString();
            if (data.includes("\r\n\r\n")) {
                socket.destroy();
                resolve(data.split("\r\n\r\n")[0]);
            }
        });
        socket.on("error", reject);
        setTimeout(() => reject(new Error(`no upgrade answer: ${data}`)), 10000);
    });
}

describeIntegration("nginx with the rendered config in front of two real API replicas", () => {
    let backend: Backend;
    let nginx: NginxInstance;
    let base: string;

    beforeAll(async () => {
        backend = await startBackend(2);
        nginx = await startNginx({
            upstreams: backend.apis.map((a) => `127.0.0.1:${a.port}`),
            certificatePath: backend.edge.certPath,
            keyPath: backend.edge.keyPath,
        });
        base = `https://localhost:${nginx.httpsPort}`;
    });
    afterAll(async () => {
        await nginx?.stop();
        await backend?.stop();
    });

    test("HTTP answers 301 to the same path on HTTPS, at the configured name whatever Host says", () => {
        const r = run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", `http://localhost:${nginx.httpPort}/some/page?x=1`]);
        expect(r.stdout).toBe(`301 https://localhost:${nginx.httpsPort}/some/page?x=1`);
        const spoofed = run("curl", ["-sS", "-o", "/dev/null", "-H", "Host: evil.example", "-w", "%{redirect_url}", `http://127.0.0.1:${nginx.httpPort}/x`]);
        expect(spoofed.stdout).toBe(`https://localhost:${nginx.httpsPort}/x`);
    });

    test("HTTPS serves the SPA over HTTP/2; deep links fall back to index.html, never cached", () => {
        const root = curl(`${base}/`, backend.ca.certPath);
        expect(root.status).toBe(200);
        expect(root.httpVersion).toBe("2");
        expect(root.body).toContain("spa-index");
        const deep = curl(`${base}/projects/42/settings`, backend.ca.certPath);
        expect(deep.status).toBe(200);
        expect(deep.body).toContain("spa-index");
        expect(header(deep, "cache-control")).toEqual(["no-cache"]);
    });

    test("hashed assets are cached for a year; a missing asset is 404, not index.html", () => {
        const asset = curl(`${base}/assets/app.3f9a1c2e.js`, backend.ca.certPath);
        expect(asset.status).toBe(200);
        expect(header(asset, "cache-control")).toEqual(["max-age=31536000"]);
        expect(curl(`${base}/assets/missing.js`, backend.ca.certPath).status).toBe(404);
    });

    test.each(["/", "/api/health", "/api/notes", "/assets/missing.js"])("every header either side sets appears exactly once, the security headers with their values, on %s", (path) => {
        const r = curl(`${base}${path}`, backend.ca.certPath);
        const names = [...new Set(r.headers.map(([k]) => k))];
        expect(names.length).toBeGreaterThan(10);
        expect(names.filter((n) => header(r, n).length !== 1)).toEqual([]);
        expect(header(r, "x-permitted-cross-domain-policies")).toEqual(["none"]);
        expect(header(r, "cross-origin-resource-policy")).toEqual(["same-origin"]);
        expect(header(r, "cross-origin-opener-policy")).toEqual(["same-origin"]);
        if (path.startsWith("/api/")) expect(header(r, "cache-control")).toEqual(["no-store"]);
        expect(header(r, "strict-transport-security")).toEqual(["max-age=63072000; includeSubDomains"]);
        expect(header(r, "content-security-policy")).toEqual([DEFAULTS.contentSecurityPolicy]);
        expect(header(r, "x-content-type-options")).toEqual(["nosniff"]);
        expect(header(r, "x-frame-options")).toEqual(["DENY"]);
        expect(header(r, "referrer-policy")).toEqual(["strict-origin-when-cross-origin"]);
        expect(header(r, "permissions-policy")).toEqual([DEFAULTS.permissionsPolicy]);
        expect(header(r, "x-xss-protection")).toEqual(["0"]);
        expect(header(r, "x-powered-by")).toEqual([]);
        expect(header(r, "server")).toEqual(["nginx"]);
    });

    test("/api/health answers 200 through the proxy", () => {
        const r = curl(`${base}/api/health`, backend.ca.certPath);
        expect(r.status).toBe(200);
        expect(JSON.parse(r.body)).toEqual({ status: "ok" });
    });

    test("TLS 1.0 and 1.1 handshakes are refused by the server; 1.2 and 1.3 work", () => {
        expect(handshake(nginx.httpsPort, "-tls1_2")).toMatch(/Protocol\s*:\s*TLSv1\.2/);
        expect(handshake(nginx.httpsPort, "-tls1_3")).toMatch(/TLSv1\.3/);
        for (const old of ["-tls1", "-tls1_1"]) {
            const out = run("openssl", ["s_client", "-connect", `127.0.0.1:${nginx.httpsPort}`, old, "-cipher", "DEFAULT:@SECLEVEL=0"], { input: "" });
            expect(out.code).not.toBe(0);
            // The server's alert, not a client-side refusal.
            expect(out.stderr).toMatch(/alert protocol version|unsupported protocol/);
            expect(out.stdout).not.toMatch(/Cipher is (?!\(NONE\))/);
        }
    });

    test("a websocket upgrade passes through to the API", async () => {
        const head = await rawUpgrade(nginx.httpsPort, backend.ca.certPem, "/api/ws");
        expect(head.split("\r\n")[0]).toBe("HTTP/1.1 101 Switching Protocols");
        expect(head.toLowerCase()).toContain("upgrade: websocket");
    });

    test("requests spread across both replicas (seen in the JSON access log)", () => {
        for (let i = 0; i < 8; i++) curl(`${base}/api/health`, backend.ca.certPath);
        const entries = nginx
            .accessLog()
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        const upstreams = new Set(entries.filter((e) => e.uri === "/api/health").map((e) => e.upstream_addr));
        expect(upstreams).toEqual(new Set(backend.apis.map((a) => `127.0.0.1:${a.port}`)));
        expect(entries.every((e) => typeof e.status === "number" && typeof e.request_id === "string")).toBe(true);
    });

    test("a burst beyond the limit gets 429 while normal traffic passes", async () => {
        await new Promise((r) => setTimeout(r, 2500));
        const codes = await Promise.all(Array.from({ length: 60 }, () => status(`${base}/api/health`, backend.ca.certPem)));
        const count = (c: number) => codes.filter((x) => x === c).length;
        expect(count(429)).toBeGreaterThan(0);
        // burst=20 nodelay admits about 21 at once; requests still in flight in other tests eat into it.
        expect(count(200)).toBeGreaterThanOrEqual(10);
        expect([count(200) + count(429), codes.join(",")]).toEqual([60, codes.join(",")]);
        await new Promise((r) => setTimeout(r, 2500));
        expect(curl(`${base}/api/health`, backend.ca.certPath).status).toBe(200);
    });

    test("the auth path has its own, stricter limit, whatever the case of the path (Express routes case-insensitively)", () => {
        const codes: number[] = [];
        for (let i = 0; i < 10; i++) {
            // Alternating: in separate zones neither spelling would reach the auth limit.
            codes.push(
                curl(`${base}${i % 2 === 0 ? "/api/auth/login" : "/api/AUTH/login"}`, backend.ca.certPath, ["-X", "POST", "-H", "content-type: application/json", "--data", '{"email":"nobody@example.com","password":"wrong-password"}'])
                    .status,
            );
        }
        expect(codes.slice(0, 6).every((c) => c !== 429)).toBe(true);
        expect(codes).toContain(429);
    });
}, { needsApi: true });

describeIntegration("nginx → API over verified HTTPS", () => {
    let backend: Backend;
    let apiCert: KeyPair;
    const stops: (() => Promise<void>)[] = [];

    beforeAll(async () => {
        backend = await startBackend(0);
        apiCert = issueLeaf(backend.dir, "api", backend.ca, { commonName: API_SERVICE_HOST, dnsNames: apiCertificateNames(1), usage: "server" });
    });
    afterAll(async () => {
        for (const s of stops.reverse()) await s();
        await backend?.stop();
    });

    async function proxyTo(serverName: string): Promise<NginxInstance> {
        const https = { certFile: apiCert.certPath, keyFile: apiCert.keyPath };
        const api = await startApi({ databaseUrl: backend.databaseUrl, databaseCaFile: backend.ca.certPath, jwtSecret: JWT_SECRET, migrate: true, https });
        stops.push(() => api.server.stop());
        const nginx = await startNginx({
            upstreams: [`127.0.0.1:${api.port}`],
            certificatePath: backend.edge.certPath,
            keyPath: backend.edge.keyPath,
            upstreamTls: { caPath: backend.ca.certPath, serverName },
        });
        stops.push(() => nginx.stop());
        return nginx;
    }

    test("the API's certificate for the service name is verified and the request passes", async () => {
        const nginx = await proxyTo(API_SERVICE_HOST);
        const r = curl(`https://localhost:${nginx.httpsPort}/api/health`, backend.ca.certPath);
        expect(r.status).toBe(200);
    });

    test("a name the API's certificate does not carry is refused by nginx (502)", async () => {
        const nginx = await proxyTo("impostor.nestflux.internal");
        const r = curl(`https://localhost:${nginx.httpsPort}/api/health`, backend.ca.certPath);
        expect(r.status).toBe(502);
        expect(nginx.errorLog()).toMatch(/upstream SSL certificate does not match "impostor\.nestflux\.internal"/);
    });
}, { needsApi: true });
