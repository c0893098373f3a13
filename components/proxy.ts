import { createHash } from "crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { toLabels } from "./labels";
import { NginxConfInput, renderNginxConf, TlsProfile } from "./render/nginx";
import { renderPlaceholderPage } from "./render/page";

export interface ProxyArgs {
    /** Prefix of the container name, e.g. "nestflux-dev". */
    namePrefix: pulumi.Input<string>;
    /** nginx image pinned by tag or digest. */
    image: pulumi.Input<string>;
    /** nginx version inside `image`: picks the HTTP/2 directive form. */
    nginxVersion: string;
    edgeNetworkName: pulumi.Input<string>;
    appNetworkName: pulumi.Input<string>;
    /** Public host name. */
    serverName: string;
    /** Host address the ports are published on. Default: 127.0.0.1. */
    bindAddress?: string;
    /** Host ports. Defaults: 80 and 443. */
    httpPort?: number;
    httpsPort?: number;
    /** Leaf certificate followed by its intermediates. */
    certificateChainPem: pulumi.Input<string>;
    /** Secret. */
    privateKeyPem: pulumi.Input<string>;
    /** Issuer chain of a public certificate: enables OCSP stapling. */
    trustedChainPem?: pulumi.Input<string>;
    /** Default: intermediate (TLS 1.2 + 1.3). */
    tlsProfile?: TlsProfile;
    hsts: NginxConfInput["hsts"];
    contentSecurityPolicy: string;
    permissionsPolicy: string;
    rateLimit: NginxConfInput["rateLimit"];
    /** Upstream timeouts in seconds. Default: 30. */
    timeoutSeconds?: number;
    /** Default: 1m. */
    clientMaxBodySize?: string;
    /** API replicas as host:port. */
    upstreams: pulumi.Input<string[]>;
    /** When the API speaks HTTPS: the CA to verify it and the name it must present. */
    upstreamTls?: { caCertificatePem: pulumi.Input<string>; serverName: string };
    /** Host directory of the built SPA, mounted read-only; unset serves a placeholder page. */
    spaDir?: string;
    /** Serve /.well-known/acme-challenge/ on HTTP from a host directory. */
    acmeDir?: string;
    /** Memory limit in MB. Default: 128. */
    memoryMb?: number;
    labels?: Record<string, pulumi.Input<string>>;
}

const TLS_DIR = "/etc/nginx/tls";
const STATIC_ROOT = "/usr/share/nginx/html";
const ACME_ROOT = "/var/www/acme";

/** nginx as the only published entry point: TLS termination, headers, limits, SPA, API proxy. */
export class Proxy extends pulumi.ComponentResource {
    public readonly containerName: pulumi.Output<string>;
    /** The rendered nginx.conf (no secrets in it). */
    public readonly nginxConf: pulumi.Output<string>;
    /** sha256 of the rendered config and certificate: a change restarts the proxy. */
    public readonly configHash: pulumi.Output<string>;
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: ProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nestflux:edge:Proxy", name, {}, opts);
        const httpPort = args.httpPort ?? 80;
        const httpsPort = args.httpsPort ?? 443;
        const bindAddress = args.bindAddress ?? "127.0.0.1";
        const labels = toLabels(args.labels);

        this.nginxConf = pulumi.output(args.upstreams).apply((upstreams) =>
            renderNginxConf({
                nginxVersion: args.nginxVersion,
                serverName: args.serverName,
                httpPort: 80,
                httpsPort: 443,
                publicHttpsPort: httpsPort,
                certificatePath: `${TLS_DIR}/fullchain.pem`,
                keyPath: `${TLS_DIR}/privkey.pem`,
                trustedChainPath: args.trustedChainPem ? `${TLS_DIR}/chain.pem` : undefined,
                // Docker's embedded DNS, for OCSP responder look-ups.
                resolver: args.trustedChainPem ? "127.0.0.11" : undefined,
                tlsProfile: args.tlsProfile ?? "intermediate",
                hsts: args.hsts,
                contentSecurityPolicy: args.contentSecurityPolicy,
                permissionsPolicy: args.permissionsPolicy,
                upstreams,
                upstreamTls: args.upstreamTls ? { caPath: `${TLS_DIR}/upstream-ca.pem`, serverName: args.upstreamTls.serverName } : undefined,
                rateLimit: args.rateLimit,
                timeoutSeconds: args.timeoutSeconds ?? 30,
                clientMaxBodySize: args.clientMaxBodySize ?? "1m",
                staticRoot: STATIC_ROOT,
                acmeRoot: args.acmeDir ? ACME_ROOT : undefined,
                mimeTypesPath: "/etc/nginx/mime.types",
                accessLogPath: "/dev/stdout",
                errorLogPath: "/dev/stderr",
                pidPath: "/var/run/nginx.pid",
                tempDir: "/var/cache/nginx",
                user: "nginx",
            }),
        );
        this.configHash = pulumi
            .all([this.nginxConf, args.certificateChainPem])
            .apply(([conf, cert]) => createHash("sha256").update(conf).update(cert).digest("hex"));

        const uploads: docker.types.input.ContainerUpload[] = [
            { file: "/etc/nginx/nginx.conf", content: this.nginxConf, permissions: "0644" },
            { file: `${TLS_DIR}/fullchain.pem`, content: args.certificateChainPem, permissions: "0644" },
            // nginx reads the key as root before dropping to its worker user.
            { file: `${TLS_DIR}/privkey.pem`, content: pulumi.secret(args.privateKeyPem), permissions: "0600" },
        ];
        if (args.trustedChainPem) {
            uploads.push({ file: `${TLS_DIR}/chain.pem`, content: args.trustedChainPem, permissions: "0644" });
        }
        if (args.upstreamTls) {
            uploads.push({ file: `${TLS_DIR}/upstream-ca.pem`, content: args.upstreamTls.caCertificatePem, permissions: "0644" });
        }
        const volumes: docker.types.input.ContainerVolume[] = [];
        if (args.spaDir) {
            volumes.push({ hostPath: args.spaDir, containerPath: STATIC_ROOT, readOnly: true });
        } else {
            uploads.push({ file: `${STATIC_ROOT}/index.html`, content: renderPlaceholderPage(args.serverName), permissions: "0644" });
        }
        if (args.acmeDir) {
            volumes.push({ hostPath: args.acmeDir, containerPath: ACME_ROOT, readOnly: true });
        }

        const image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent: this });
        const container = new docker.Container(
            `${name}-nginx`,
            {
                name: pulumi.interpolate`${args.namePrefix}-proxy`,
                image: image.imageId,
                hostname: "proxy",
                // Straight to nginx: the image's entrypoint scripts rewrite files we keep read-only.
                entrypoints: ["nginx", "-c", "/etc/nginx/nginx.conf", "-g", "daemon off;"],
                uploads,
                volumes,
                ports: [
                    { internal: 80, external: httpPort, ip: bindAddress, protocol: "tcp" },
                    { internal: 443, external: httpsPort, ip: bindAddress, protocol: "tcp" },
                ],
                networksAdvanced: [{ name: args.edgeNetworkName }, { name: args.appNetworkName }],
                healthcheck: {
                    tests: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1/healthz || curl -fsS -o /dev/null http://127.0.0.1/healthz"],
                    interval: "10s",
                    timeout: "5s",
                    retries: 3,
                    startPeriod: "10s",
                },
                restart: "unless-stopped",
                memory: args.memoryMb ?? 128,
                readOnly: true,
                tmpfs: {
                    "/var/cache/nginx": "rw,noexec,nosuid,size=64m",
                    "/var/run": "rw,noexec,nosuid,size=1m",
                    "/tmp": "rw,noexec,nosuid,size=16m",
                },
                securityOpts: ["no-new-privileges:true"],
                capabilities: { drops: ["ALL"], adds: ["CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID"] },
                labels: [...labels, { label: "nestflux.config-sha256", value: this.configHash }],
            },
            // Fixed host ports cannot be held twice: delete the old container first (pulumi-docker#1356).
            { parent: this, deleteBeforeReplace: true },
        );

        this.containerName = container.name;
        this.url = pulumi.output(`https://${args.serverName}${httpsPort === 443 ? "" : `:${httpsPort}`}/`);
        this.registerOutputs({ containerName: this.containerName, configHash: this.configHash, url: this.url });
    }
}
