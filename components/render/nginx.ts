/**
 * nginx.conf renderer: a pure function of its input. The proxy container and the integration
 * tier use the same text; only paths, ports and addresses differ between them.
 */

import type { ProxyComponentSettings } from "../settings";

export type TlsProfile = "intermediate" | "modern";

/** The settings the rendered text depends on, under their config key names. */
export type NginxSettings = Pick<
        ProxyComponentSettings,
        | "domain"
        | "tlsProfile"
        | "hstsMaxAge"
        | "hstsIncludeSubDomains"
        | "hstsPreload"
        | "contentSecurityPolicy"
        | "permissionsPolicy"
        | "rateLimitRps"
        | "rateLimitBurst"
        | "authRateLimitRpm"
        | "authRateLimitBurst"
        | "proxyTimeoutSeconds"
        | "clientMaxBodySize"
    >;

export interface NginxConfInput extends NginxSettings {
    /** nginx version the text is for: 1.25.1 moved HTTP/2 from `listen … http2` to `http2 on`. */
    nginxVersion: string;
    /**
     * OpenSSL nginx runs with, when known: from 3.5 the hybrid post-quantum group X25519MLKEM768
     * leads the key-exchange groups (Mozilla's guideline 6.0); older versions would refuse the
     * name, so unknown means the classical groups only.
     */
    opensslVersion?: string;
    /** Address to listen on inside the process' network namespace; empty means all. */
    listenAddress?: string;
    httpPort: number;
    httpsPort: number;
    /** Port clients use for HTTPS, for the redirect target (443 is left out of the URL). */
    publicHttpsPort: number;
    /** Certificate chain (leaf first) and its key. */
    certificatePath: string;
    keyPath: string;
    /** Issuer chain of a public certificate: turns on OCSP stapling. */
    trustedChainPath?: string;
    /**
     * DNS resolver, e.g. Docker's 127.0.0.11: for OCSP look-ups and, with `resolveUpstreams`, to
     * re-resolve the upstream names while running.
     */
    resolver?: string;
    /**
     * Re-resolve every upstream name through `resolver` (`server … resolve`, open-source nginx ≥
     * 1.27.3), so a replaced API container with a new address is found without a restart.
     */
    resolveUpstreams?: boolean;
    /** API replicas as host:port, in order. */
    upstreams: string[];
    /** Present when the API speaks HTTPS: nginx verifies it against this CA and name. */
    upstreamTls?: { caPath: string; serverName: string };
    /** Directory of the built SPA. */
    staticRoot: string;
    /** Directory served for ACME http-01 challenges on the HTTP port. */
    acmeRoot?: string;
    mimeTypesPath: string;
    accessLogPath: string;
    errorLogPath: string;
    pidPath: string;
    /** Writable directory for nginx's temp files (the container's root is read-only). */
    tempDir: string;
    /** `user` directive; omit when nginx is not started as root. */
    user?: string;
    workerProcesses?: string;
}

/** Mozilla "intermediate" (v5.7) suites, ECDHE only: DHE needs a dhparam file we do not ship. */
export const INTERMEDIATE_CIPHERS = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** Headers the proxy owns; copies from the API are hidden so a response never carries two. */
export const PROXY_OWNED_HEADERS = [
    "Content-Security-Policy",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Resource-Policy",
    "Permissions-Policy",
    "Referrer-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "X-Permitted-Cross-Domain-Policies",
    "X-Powered-By",
    "X-XSS-Protection",
];

function versionAtLeast(version: string, min: [number, number, number]): boolean {
    const parts = version.split(".").map((p) => Number(p));
    for (let i = 0; i < 3; i++) {
        const a = parts[i] ?? 0;
        if (a !== min[i]) return a > min[i];
    }
    return true;
}

/** Whether this nginx version re-resolves upstream servers (`server … resolve`, 1.27.3 and later). */
export function supportsUpstreamResolve(nginxVersion: string): boolean {
    return versionAtLeast(nginxVersion, [1, 27, 3]);
}

/** Key-exchange groups, strongest first: the post-quantum hybrid where OpenSSL has it (3.5+). */
export function ecdhCurves(opensslVersion: string | undefined): string {
    const classical = "X25519:prime256v1:secp384r1";
    return opensslVersion !== undefined && versionAtLeast(opensslVersion, [3, 5, 0]) ? `X25519MLKEM768:${classical}` : classical;
}

/** Whether this nginx version takes the `http2 on;` directive (1.25.1 and later). */
export function usesHttp2Directive(nginxVersion: string): boolean {
    return versionAtLeast(nginxVersion, [1, 25, 1]);
}

export function hstsValue(h: Pick<NginxSettings, "hstsMaxAge" | "hstsIncludeSubDomains" | "hstsPreload">): string {
    return [`max-age=${h.hstsMaxAge}`, h.hstsIncludeSubDomains ? "includeSubDomains" : "", h.hstsPreload ? "preload" : ""]
        .filter((s) => s !== "")
        .join("; ");
}

/** The security headers set on every response, in the order they are rendered. */
export function securityHeaders(
    input: Pick<NginxSettings, "hstsMaxAge" | "hstsIncludeSubDomains" | "hstsPreload" | "contentSecurityPolicy" | "permissionsPolicy">,
): [string, string][] {
    return [
        ["Strict-Transport-Security", hstsValue(input)],
        ["Content-Security-Policy", input.contentSecurityPolicy],
        ["X-Content-Type-Options", "nosniff"],
        ["X-Frame-Options", "DENY"],
        ["Referrer-Policy", "strict-origin-when-cross-origin"],
        ["Permissions-Policy", input.permissionsPolicy],
        // OWASP: the legacy XSS auditor caused vulnerabilities; "0" switches it off where it survives.
        ["X-XSS-Protection", "0"],
        ["Cross-Origin-Opener-Policy", "same-origin"],
        // OWASP Secure Headers: no Flash/PDF cross-domain policy files; our resources stay ours.
        ["X-Permitted-Cross-Domain-Policies", "none"],
        ["Cross-Origin-Resource-Policy", "same-origin"],
    ];
}

function listen(address: string | undefined, port: number, extra: string): string {
    const where = address ? `${address}:${port}` : `${port}`;
    return `listen ${where}${extra};`;
}

function indent(lines: string[], depth: number): string[] {
    const pad = "    ".repeat(depth);
    return lines.map((l) => (l === "" ? "" : pad + l));
}

function apiLocation(match: string, zone: string, burst: number, input: NginxConfInput): string[] {
    const scheme = input.upstreamTls ? "https" : "http";
    const lines = [
        `location ${match} {`,
        `    limit_req zone=${zone} burst=${burst} nodelay;`,
        // Compressing responses that mix secrets with reflected input invites BREACH.
        "    gzip off;",
        `    proxy_pass ${scheme}://api_backend;`,
        "    proxy_http_version 1.1;",
        "    proxy_set_header Host $host;",
        "    proxy_set_header X-Real-IP $remote_addr;",
        // Overwrite, never append: the API trusts this header from the proxy only.
        "    proxy_set_header X-Forwarded-For $remote_addr;",
        "    proxy_set_header X-Forwarded-Proto $scheme;",
        "    proxy_set_header X-Request-ID $request_id;",
        "    proxy_set_header Upgrade $http_upgrade;",
        "    proxy_set_header Connection $connection_upgrade;",
        `    proxy_connect_timeout ${Math.min(input.proxyTimeoutSeconds, 75)}s;`,
        `    proxy_send_timeout ${input.proxyTimeoutSeconds}s;`,
        `    proxy_read_timeout ${input.proxyTimeoutSeconds}s;`,
        ...PROXY_OWNED_HEADERS.map((h) => `    proxy_hide_header ${h};`),
    ];
    if (input.upstreamTls) {
        lines.push(
            "    proxy_ssl_verify on;",
            "    proxy_ssl_verify_depth 2;",
            `    proxy_ssl_trusted_certificate ${input.upstreamTls.caPath};`,
            `    proxy_ssl_name ${input.upstreamTls.serverName};`,
            "    proxy_ssl_server_name on;",
            "    proxy_ssl_protocols TLSv1.2 TLSv1.3;",
            "    proxy_ssl_session_reuse on;",
        );
    }
    lines.push("}");
    return lines;
}

export function renderNginxConf(input: NginxConfInput): string {
    if (input.upstreams.length === 0) {
        throw new Error("renderNginxConf: at least one upstream is required");
    }
    const http2Directive = usesHttp2Directive(input.nginxVersion);
    const httpsListen = listen(input.listenAddress, input.httpsPort, http2Directive ? " ssl" : " ssl http2");
    const redirectPort = input.publicHttpsPort === 443 ? "" : `:${input.publicHttpsPort}`;
    const tmp = input.tempDir.replace(/\/$/, "");

    const tls =
        input.tlsProfile === "modern"
            ? ["ssl_protocols TLSv1.3;"]
            : // Server order: every suite is strong, but the strongest should win whatever the client lists.
              ["ssl_protocols TLSv1.2 TLSv1.3;", `ssl_ciphers ${INTERMEDIATE_CIPHERS};`, "ssl_prefer_server_ciphers on;"];
    if (input.resolveUpstreams && !input.resolver) {
        throw new Error("renderNginxConf: resolveUpstreams needs a resolver");
    }
    if (input.resolveUpstreams && !supportsUpstreamResolve(input.nginxVersion)) {
        throw new Error(`renderNginxConf: nginxVersion ${input.nginxVersion} cannot re-resolve upstreams (needs 1.27.3 or later)`);
    }
    const stapling = input.trustedChainPath ? ["ssl_stapling on;", "ssl_stapling_verify on;", `ssl_trusted_certificate ${input.trustedChainPath};`] : [];
    // Short validity when it follows containers: a replaced replica is found within seconds.
    const resolver = input.resolver
        ? [`resolver ${input.resolver} valid=${input.resolveUpstreams ? "5s" : "300s"} ipv6=off;`, "resolver_timeout 5s;"]
        : [];

    const upstream = [
        "upstream api_backend {",
        "    zone api_backend 64k;",
        ...input.upstreams.map((u) => `    server ${u} max_fails=3 fail_timeout=10s${input.resolveUpstreams ? " resolve" : ""};`),
        "    keepalive 32;",
        "    keepalive_timeout 60s;",
        "}",
    ];

    const httpServer = [
        "server {",
        `    ${listen(input.listenAddress, input.httpPort, "")}`,
        `    server_name ${input.domain};`,
        "    location = /healthz {",
        "        access_log off;",
        "        default_type text/plain;",
        '        return 200 "ok\\n";',
        "    }",
        ...(input.acmeRoot
            ? ["    location ^~ /.well-known/acme-challenge/ {", `        root ${input.acmeRoot};`, "        default_type text/plain;", "    }"]
            : []),
        "    location / {",
        // The configured name, never the client's Host header: a redirect cannot be aimed elsewhere.
        `        return 301 https://${input.domain}${redirectPort}$request_uri;`,
        "    }",
        "}",
    ];

    const httpsServer = [
        "server {",
        `    ${httpsListen}`,
        ...(http2Directive ? ["    http2 on;"] : []),
        `    server_name ${input.domain};`,
        "",
        `    ssl_certificate ${input.certificatePath};`,
        `    ssl_certificate_key ${input.keyPath};`,
        ...indent(tls, 1),
        `    ssl_ecdh_curve ${ecdhCurves(input.opensslVersion)};`,
        "    ssl_session_cache shared:TLS:10m;",
        "    ssl_session_timeout 1d;",
        // Tickets are off: their keys never rotate without a restart, which breaks forward secrecy.
        "    ssl_session_tickets off;",
        ...indent(stapling, 1),
        "",
        // Security headers live at server level only; no location adds headers, so none are lost.
        ...securityHeaders(input).map(([k, v]) => `    add_header ${k} "${v}" always;`),
        "",
        `    root ${input.staticRoot};`,
        "    index index.html;",
        "",
        // Case-insensitive, as Express routes: /api/AUTH/login must not slip into the general zone.
        // A regex location wins over the /api/ prefix.
        ...indent(apiLocation("~* ^/api/auth/", "auth", input.authRateLimitBurst, input), 1),
        "",
        ...indent(apiLocation("/api/", "api", input.rateLimitBurst, input), 1),
        "",
        "    location /assets/ {",
        "        expires 1y;",
        "        try_files $uri =404;",
        "    }",
        "    location = /index.html {",
        "        expires -1;",
        "    }",
        "    location ~ /\\. {",
        "        deny all;",
        "    }",
        "    location / {",
        "        try_files $uri $uri/ /index.html;",
        "    }",
        "}",
    ];

    const lines = [
        ...(input.user ? [`user ${input.user};`] : []),
        `worker_processes ${input.workerProcesses ?? "auto"};`,
        `pid ${input.pidPath};`,
        `error_log ${input.errorLogPath} warn;`,
        "",
        "events {",
        "    worker_connections 1024;",
        "}",
        "",
        "http {",
        `    include ${input.mimeTypesPath};`,
        "    default_type application/octet-stream;",
        "    server_tokens off;",
        "    sendfile on;",
        "    tcp_nopush on;",
        "    keepalive_timeout 65s;",
        `    client_max_body_size ${input.clientMaxBodySize};`,
        "    client_body_timeout 15s;",
        "    client_header_timeout 15s;",
        `    client_body_temp_path ${tmp}/client_body;`,
        `    proxy_temp_path ${tmp}/proxy;`,
        `    fastcgi_temp_path ${tmp}/fastcgi;`,
        `    uwsgi_temp_path ${tmp}/uwsgi;`,
        `    scgi_temp_path ${tmp}/scgi;`,
        "",
        // $uri, not $request_uri: query strings can carry tokens and must not reach the log.
        "    log_format json_access escape=json '{'",
        `        '"time":"$time_iso8601","remote_addr":"$remote_addr","method":"$request_method",'`,
        `        '"uri":"$uri","protocol":"$server_protocol","status":$status,"bytes":$body_bytes_sent,'`,
        `        '"request_time":$request_time,"upstream_addr":"$upstream_addr",'`,
        `        '"upstream_status":"$upstream_status","tls":"$ssl_protocol","request_id":"$request_id",'`,
        `        '"user_agent":"$http_user_agent"'`,
        "    '}';",
        `    access_log ${input.accessLogPath} json_access;`,
        "",
        "    gzip on;",
        "    gzip_vary on;",
        "    gzip_min_length 1024;",
        "    gzip_types text/css application/javascript application/json image/svg+xml text/plain;",
        "",
        `    limit_req_zone $binary_remote_addr zone=api:10m rate=${input.rateLimitRps}r/s;`,
        `    limit_req_zone $binary_remote_addr zone=auth:10m rate=${input.authRateLimitRpm}r/m;`,
        "    limit_req_status 429;",
        ...indent(resolver, 1),
        "    limit_req_log_level warn;",
        "",
        "    map $http_upgrade $connection_upgrade {",
        "        default upgrade;",
        // An empty Connection header keeps upstream keepalive connections reusable.
        "        '' '';",
        "    }",
        "",
        ...indent(upstream, 1),
        "",
        ...indent(httpServer, 1),
        "",
        ...indent(httpsServer, 1),
        "}",
        "",
    ];
    return lines.join("\n");
}
