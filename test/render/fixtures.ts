import type { NginxConfInput } from "../../components/render/nginx";

/** A complete renderer input, as the EdgeProxy component would pass it. */
export function nginxInput(over: Partial<NginxConfInput> = {}): NginxConfInput {
    return {
        nginxVersion: "1.27.3",
        domain: "app.example.com",
        httpPort: 80,
        httpsPort: 443,
        publicHttpsPort: 443,
        certificatePath: "/etc/nginx/tls/fullchain.pem",
        keyPath: "/etc/nginx/tls/privkey.pem",
        tlsProfile: "intermediate",
        hstsMaxAge: 63072000,
        hstsIncludeSubDomains: true,
        hstsPreload: false,
        contentSecurityPolicy: "default-src 'self'",
        permissionsPolicy: "camera=()",
        upstreams: ["api-0.nestflux.internal:3000", "api-1.nestflux.internal:3000"],
        rateLimitRps: 10,
        rateLimitBurst: 20,
        authRateLimitRpm: 10,
        authRateLimitBurst: 5,
        proxyTimeoutSeconds: 30,
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
