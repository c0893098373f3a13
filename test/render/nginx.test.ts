import {
    INTERMEDIATE_CIPHERS,
    PROXY_OWNED_HEADERS,
    renderNginxConf,
    securityHeaders,
    supportsUpstreamResolve,
    usesHttp2Directive,
} from "../../components/render/nginx";
import { nginxInput } from "./fixtures";

/** The lines of one `location` block, found by its exact opening line. */
function block(conf: string, opening: string): string[] {
    const lines = conf.split("\n").map((l) => l.trim());
    const start = lines.indexOf(opening);
    if (start < 0) throw new Error(`no block ${opening}`);
    const end = lines.indexOf("}", start);
    return lines.slice(start + 1, end);
}

describe("renderNginxConf", () => {
    const conf = renderNginxConf(nginxInput());
    const lines = conf.split("\n").map((l) => l.trim());

    test("TLS 1.2 and 1.3 with the Mozilla intermediate suites, cache on, tickets off", () => {
        expect(lines).toContain("ssl_protocols TLSv1.2 TLSv1.3;");
        expect(lines).toContain(`ssl_ciphers ${INTERMEDIATE_CIPHERS};`);
        expect(lines).toContain("ssl_session_cache shared:TLS:10m;");
        expect(lines).toContain("ssl_session_tickets off;");
        expect(lines).toContain("ssl_prefer_server_ciphers on;");
        expect(lines).toContain("ssl_ecdh_curve X25519:prime256v1:secp384r1;");
        expect(lines).toContain("server_tokens off;");
        expect(INTERMEDIATE_CIPHERS).not.toMatch(/CBC|RC4|3DES|SHA:|MD5/);
    });

    test("the modern profile allows TLS 1.3 only", () => {
        const modern = renderNginxConf(nginxInput({ tlsProfile: "modern" })).split("\n").map((l) => l.trim());
        expect(modern).toContain("ssl_protocols TLSv1.3;");
        expect(modern.some((l) => l.startsWith("ssl_ciphers"))).toBe(false);
    });

    test("HTTP/2 uses `http2 on` from nginx 1.25.1 and `listen … http2` before", () => {
        expect(usesHttp2Directive("1.25.1")).toBe(true);
        expect(usesHttp2Directive("1.25.0")).toBe(false);
        expect(usesHttp2Directive("1.22.1")).toBe(false);
        expect(usesHttp2Directive("2.0")).toBe(true);
        expect(lines).toContain("listen 443 ssl;");
        expect(lines).toContain("http2 on;");
        const old = renderNginxConf(nginxInput({ nginxVersion: "1.22.1" })).split("\n").map((l) => l.trim());
        expect(old).toContain("listen 443 ssl http2;");
        expect(old).not.toContain("http2 on;");
    });

    test("every security header is set with `always` at server level", () => {
        for (const [name, value] of securityHeaders(nginxInput())) {
            expect(lines).toContain(`add_header ${name} "${value}" always;`);
        }
        expect(lines).toContain('add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;');
        expect(lines).toContain('add_header X-Content-Type-Options "nosniff" always;');
        expect(lines).toContain('add_header X-Frame-Options "DENY" always;');
        expect(lines).toContain('add_header Referrer-Policy "strict-origin-when-cross-origin" always;');
        expect(lines).toContain('add_header X-XSS-Protection "0" always;');
    });

    test("no location adds headers, so none loses the server-level ones", () => {
        const httpsServer = conf.slice(conf.lastIndexOf("server {"));
        const locationBodies = httpsServer.split("location ").slice(1);
        expect(locationBodies.length).toBeGreaterThan(3);
        for (const body of locationBodies) expect(body.split("}")[0]).not.toContain("add_header");
    });

    test("HSTS preload is rendered only when asked for", () => {
        const pre = renderNginxConf(nginxInput({ hstsPreload: true }));
        expect(pre).toContain('"max-age=63072000; includeSubDomains; preload"');
        expect(conf).not.toContain("preload");
    });

    test("port 80 redirects to HTTPS with 301, keeping a non-default port", () => {
        expect(block(conf, "location / {").join("\n")).toBe("return 301 https://app.example.com$request_uri;");
        const dev = renderNginxConf(nginxInput({ publicHttpsPort: 8443 }));
        expect(dev).toContain("return 301 https://app.example.com:8443$request_uri;");
        expect(conf).not.toContain("https://$host");
    });

    test("the ACME challenge path is served on HTTP only when configured", () => {
        expect(conf).not.toContain("acme-challenge");
        const acme = renderNginxConf(nginxInput({ acmeRoot: "/var/www/acme" }));
        expect(block(acme, "location ^~ /.well-known/acme-challenge/ {")).toContain("root /var/www/acme;");
    });

    test("the upstream lists every replica with keepalive", () => {
        const up = block(conf, "upstream api_backend {");
        expect(up).toContain("server api-0.nestflux.internal:3000 max_fails=3 fail_timeout=10s;");
        expect(up).toContain("server api-1.nestflux.internal:3000 max_fails=3 fail_timeout=10s;");
        expect(up).toContain("keepalive 32;");
        expect(() => renderNginxConf(nginxInput({ upstreams: [] }))).toThrow(/upstream/);
    });

    test("the API location proxies with forwarding headers, websocket upgrade and timeouts", () => {
        const api = block(conf, "location /api/ {");
        for (const l of [
            "proxy_pass http://api_backend;",
            "proxy_http_version 1.1;",
            "proxy_set_header Host $host;",
            "proxy_set_header X-Real-IP $remote_addr;",
            "proxy_set_header X-Forwarded-For $remote_addr;",
            "proxy_set_header X-Forwarded-Proto $scheme;",
            "proxy_set_header Upgrade $http_upgrade;",
            "proxy_set_header Connection $connection_upgrade;",
            "proxy_read_timeout 30s;",
            "limit_req zone=api burst=20 nodelay;",
            "gzip off;",
        ]) {
            expect(api).toContain(l);
        }
        for (const h of PROXY_OWNED_HEADERS) expect(api).toContain(`proxy_hide_header ${h};`);
        expect(block(conf, "map $http_upgrade $connection_upgrade {")).toEqual(["default upgrade;", "'' '';"]);
    });

    test("rate limits: a zone per client address, a stricter one for auth, 429 when exceeded", () => {
        expect(lines).toContain("limit_req_zone $binary_remote_addr zone=api:10m rate=10r/s;");
        expect(lines).toContain("limit_req_zone $binary_remote_addr zone=auth:10m rate=10r/m;");
        expect(lines).toContain("limit_req_status 429;");
        expect(block(conf, "location ~* ^/api/auth/ {")).toContain("limit_req zone=auth burst=5 nodelay;");
    });

    test("HTTPS to the API verifies the peer against the CA and the service name", () => {
        const tls = renderNginxConf(nginxInput({ upstreamTls: { caPath: "/etc/nginx/tls/upstream-ca.pem", serverName: "api.nestflux.internal" } }));
        const api = block(tls, "location /api/ {");
        expect(api).toContain("proxy_pass https://api_backend;");
        expect(api).toContain("proxy_ssl_verify on;");
        expect(api).toContain("proxy_ssl_trusted_certificate /etc/nginx/tls/upstream-ca.pem;");
        expect(api).toContain("proxy_ssl_name api.nestflux.internal;");
        expect(block(conf, "location /api/ {")).not.toContain("proxy_ssl_verify on;");
    });

    test("SPA: deep links fall back to index.html, hashed assets cached for a year, index.html never", () => {
        const spa = conf.slice(conf.lastIndexOf("server {"));
        expect(block(spa, "location / {")).toEqual(["try_files $uri $uri/ /index.html;"]);
        expect(block(spa, "location /assets/ {")).toEqual(["expires 1y;", "try_files $uri =404;"]);
        expect(block(spa, "location = /index.html {")).toEqual(["expires -1;"]);
    });

    test("OCSP stapling only with a public chain; the resolver caches for 300s at http level", () => {
        expect(conf).not.toContain("ssl_stapling");
        expect(lines.some((l) => l.startsWith("resolver"))).toBe(false);
        const pub = renderNginxConf(nginxInput({ trustedChainPath: "/etc/nginx/tls/chain.pem", resolver: "127.0.0.11" }));
        const pubLines = pub.split("\n").map((l) => l.trim());
        expect(pubLines).toContain("ssl_stapling on;");
        expect(pubLines).toContain("ssl_stapling_verify on;");
        expect(pubLines).toContain("ssl_trusted_certificate /etc/nginx/tls/chain.pem;");
        expect(pubLines).toContain("resolver 127.0.0.11 valid=300s ipv6=off;");
        expect(pubLines).toContain("resolver_timeout 5s;");
        // In the http block, before any server: both the OCSP look-ups and the upstream use it.
        expect(pub.indexOf("resolver 127.0.0.11")).toBeLessThan(pub.indexOf("server {"));
        expect(pub.indexOf("resolver 127.0.0.11")).toBeGreaterThan(pub.indexOf("http {"));
        // Without resolveUpstreams nothing is re-resolved.
        expect(block(pub, "upstream api_backend {").filter((l) => l.startsWith("server "))).toEqual([
            "server api-0.nestflux.internal:3000 max_fails=3 fail_timeout=10s;",
            "server api-1.nestflux.internal:3000 max_fails=3 fail_timeout=10s;",
        ]);
    });

    test("resolveUpstreams re-resolves every upstream server through the resolver, caching 5s", () => {
        const dyn = renderNginxConf(nginxInput({ resolver: "127.0.0.11", resolveUpstreams: true }));
        const up = block(dyn, "upstream api_backend {");
        expect(up.filter((l) => l.startsWith("server "))).toEqual([
            "server api-0.nestflux.internal:3000 max_fails=3 fail_timeout=10s resolve;",
            "server api-1.nestflux.internal:3000 max_fails=3 fail_timeout=10s resolve;",
        ]);
        // `resolve` needs the upstream in shared memory.
        expect(up).toContain("zone api_backend 64k;");
        const dynLines = dyn.split("\n").map((l) => l.trim());
        expect(dynLines).toContain("resolver 127.0.0.11 valid=5s ipv6=off;");
        expect(dynLines.filter((l) => l.startsWith("resolver "))).toHaveLength(1);
        expect(dyn).not.toContain("valid=300s");
        // OCSP stapling is still decided by the chain alone.
        expect(dyn).not.toContain("ssl_stapling");
    });

    test("resolveUpstreams is refused without a resolver", () => {
        expect(() => renderNginxConf(nginxInput({ resolveUpstreams: true }))).toThrow(/resolveUpstreams needs a resolver/);
        expect(() => renderNginxConf(nginxInput({ resolveUpstreams: true, resolver: "" }))).toThrow(/resolveUpstreams needs a resolver/);
    });

    test("resolveUpstreams is refused for nginx older than 1.27.3", () => {
        expect(supportsUpstreamResolve("1.27.3")).toBe(true);
        expect(supportsUpstreamResolve("1.30.6")).toBe(true);
        expect(supportsUpstreamResolve("2.0")).toBe(true);
        expect(supportsUpstreamResolve("1.27.2")).toBe(false);
        expect(supportsUpstreamResolve("1.26.3")).toBe(false);
        for (const old of ["1.27.2", "1.26.3", "1.25.1"]) {
            expect(() => renderNginxConf(nginxInput({ nginxVersion: old, resolver: "127.0.0.11", resolveUpstreams: true }))).toThrow(
                new RegExp(`nginxVersion ${old.replace(/\./g, "\\.")} cannot re-resolve upstreams \\(needs 1\\.27\\.3 or later\\)`),
            );
            // The same version without resolveUpstreams still renders.
            expect(() => renderNginxConf(nginxInput({ nginxVersion: old, resolver: "127.0.0.11" }))).not.toThrow();
        }
        expect(() => renderNginxConf(nginxInput({ nginxVersion: "1.27.3", resolver: "127.0.0.11", resolveUpstreams: true }))).not.toThrow();
    });

    test("the user directive is rendered only when asked for (the proxy starts nginx unprivileged)", () => {
        expect(lines[0]).toBe("user nginx;");
        const unprivileged = renderNginxConf(nginxInput({ user: undefined, pidPath: "/tmp/nginx.pid" })).split("\n").map((l) => l.trim());
        expect(unprivileged.filter((l) => /^user\s/.test(l))).toEqual([]);
        expect(unprivileged).toContain("pid /tmp/nginx.pid;");
    });

    test("JSON access log without query strings, body size limit, gzip", () => {
        expect(lines).toContain("access_log /dev/stdout json_access;");
        expect(conf).toContain("log_format json_access escape=json");
        expect(conf).toContain('"uri":"$uri"');
        expect(conf).not.toContain("$request_uri\"");
        expect(lines).toContain("client_max_body_size 1m;");
        expect(lines).toContain("gzip on;");
    });

    test("the same input renders the same text (no churn on re-run)", () => {
        expect(renderNginxConf(nginxInput())).toBe(conf);
    });
});

describe("key exchange follows the target's OpenSSL", () => {
    test("OpenSSL 3.5 and later lead with the post-quantum hybrid X25519MLKEM768; older or unknown get the classical groups", () => {
        expect(renderNginxConf(nginxInput({ opensslVersion: "3.5.1" }))).toContain("ssl_ecdh_curve X25519MLKEM768:X25519:prime256v1:secp384r1;");
        expect(renderNginxConf(nginxInput({ opensslVersion: "3.6.5" }))).toContain("ssl_ecdh_curve X25519MLKEM768:");
        expect(renderNginxConf(nginxInput({ opensslVersion: "3.0.22" }))).toContain("ssl_ecdh_curve X25519:prime256v1:secp384r1;");
        expect(renderNginxConf(nginxInput({}))).not.toContain("MLKEM");
    });
});
