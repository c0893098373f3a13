import type { NginxConfInput } from "../../components/render/nginx";

/** A complete renderer input, as the Proxy component would pass it. */
export function nginxInput(over: Partial<NginxConfInput> = {}): NginxConfInput {
    return {
        nginxVersion: "1.27.3",
        serverName: "app.example.com",
        httpPort: 80,
        httpsPort: 443,
        publicHttpsPort: 443,
        certificatePath: "/etc/nginx/tls/fullchain.pem",
        keyPath: "/etc/nginx/tls/privkey.pem",
        tlsProfile: "intermediate",
        hsts: { maxAgeSeconds: 63072000, includeSubDomains: true, preload: false },
        contentSecurityPolicy: "default-src 'self'",
        permissionsPolicy: "camera=()",
        upstreams: ["api-0.nestflux.internal:3000", "api-1.nestflux.internal:3000"],
        rateLimit: { perSecond: 10, burst: 20, authPerMinute: 10 },
        timeoutSeconds: 30,
        clientMaxBodySize: "1m",
        staticRoot: "/usr/share/nginx/html",
        mimeTypesPath: "/etc/nginx/mime.types",
        accessLogPath: "/dev/stdout",
        errorLogPath: "/dev/stderr",
        pidPath: "/var/run/nginx.pid",
        tempDir: "/var/cache/nginx",
        user: "nginx",
        ...over,
    };
}
