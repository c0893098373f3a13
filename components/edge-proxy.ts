import { createHash } from "crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { BOUNDED_RESTART, hardened } from "./hardening";
import { toLabels } from "./labels";
import { renderNginxConf } from "./render/nginx";
import { renderPlaceholderPage } from "./render/page";
import { ServiceFile, ServiceFiles } from "./service-files";
import { componentSettings, memoryMb, PROXY_KEYS, ProxyComponentSettings } from "./settings";

/**
 * Every setting in PROXY_KEYS (`domain`, ports, TLS profile, HSTS, CSP, limits, image, …) is the
 * stack setting of the same name, with its default (components/settings.ts).
 */
export interface EdgeProxyArgs extends Partial<ProxyComponentSettings> {
    /** Prefix of the container name, e.g. "nestflux-dev". */
    namePrefix: pulumi.Input<string>;
    edgeNetworkName: pulumi.Input<string>;
    appNetworkName: pulumi.Input<string>;
    /** Leaf certificate followed by its intermediates. */
    certificateChainPem: pulumi.Input<string>;
    /** Secret. */
    privateKeyPem: pulumi.Input<string>;
    /** Issuer chain of a public certificate: enables OCSP stapling. */
    trustedChainPem?: pulumi.Input<string>;
    /** OpenSSL version in proxyImage. Default: from a Debian release in its tag; unknown means classical key exchange only. */
    opensslVersion?: string;
    /** API replicas as host:port. */
    upstreams: pulumi.Input<string[]>;
    /** When the API speaks HTTPS: the CA to verify it and the name it must present. */
    upstreamTls?: { caCertificatePem: pulumi.Input<string>; serverName: string };
    /** Numeric uid:gid of the `nginx` user in the image; nginx runs as it, master included. Default: "101:101". */
    runAs?: string;
    labels?: Record<string, pulumi.Input<string>>;
}

const CONF_DIR = "/etc/nestflux";
const STATIC_ROOT = "/usr/share/nginx/html";
const ACME_ROOT = "/var/www/acme";
/** `server … resolve` needs it; proxyImage's rule refuses older tags. */
export const MIN_NGINX_VERSION = "1.27.3";
/** Unprivileged ports inside the container: no root master, no CAP_NET_BIND_SERVICE. */
export const PROXY_CONTAINER_PORTS = { http: 8080, https: 8443 } as const;

/** Where the container finds what the config names, apart from the settings. */
export interface EdgeNginxWiring {
    upstreams: string[];
    /** A public certificate's issuer chain is mounted: OCSP stapling. */
    trustedChain: boolean;
    /** The API speaks HTTPS and must present this name. */
    upstreamTlsServerName?: string;
    /** OpenSSL in the image; default: read from a Debian release in the tag (see imageOpensslVersion). */
    opensslVersion?: string;
}

/** OpenSSL of the Debian release an image's tag names (`nginx:1.30.6-trixie` → 3.5), if it names one. */
export function imageOpensslVersion(image: string): string | undefined {
    const release = /[:-](bookworm|trixie|forky)(?:-slim)?$/.exec(image)?.[1];
    return release === undefined ? undefined : { bookworm: "3.0", trixie: "3.5", forky: "3.5" }[release];
}

/** The nginx.conf the proxy container runs: the settings, in the container's paths and ports. */
export function edgeNginxConf(s: ProxyComponentSettings, wiring: EdgeNginxWiring): string {
    return renderNginxConf({
        ...s,
        // The oldest version proxyImage may hold: the text is valid for it and every later one.
        nginxVersion: MIN_NGINX_VERSION,
        opensslVersion: wiring.opensslVersion ?? imageOpensslVersion(s.proxyImage),
        httpPort: PROXY_CONTAINER_PORTS.http,
        httpsPort: PROXY_CONTAINER_PORTS.https,
        publicHttpsPort: s.httpsPort,
        certificatePath: `${CONF_DIR}/fullchain.pem`,
        keyPath: `${CONF_DIR}/privkey.pem`,
        trustedChainPath: wiring.trustedChain ? `${CONF_DIR}/chain.pem` : undefined,
        // Docker's embedded DNS: replicas are found again after a replacement, and OCSP
        // responders are looked up.
        resolver: "127.0.0.11",
        resolveUpstreams: true,
        upstreams: wiring.upstreams,
        upstreamTls: wiring.upstreamTlsServerName ? { caPath: `${CONF_DIR}/upstream-ca.pem`, serverName: wiring.upstreamTlsServerName } : undefined,
        staticRoot: STATIC_ROOT,
        acmeRoot: s.acmeDir ? ACME_ROOT : undefined,
        mimeTypesPath: "/etc/nginx/mime.types",
        accessLogPath: "/dev/stdout",
        errorLogPath: "/dev/stderr",
        pidPath: "/tmp/nginx.pid",
        tempDir: "/var/cache/nginx",
    });
}

/** nginx as the only published entry point: TLS termination, headers, limits, SPA, API proxy. */
export class EdgeProxy extends pulumi.ComponentResource {
    public readonly containerName: pulumi.Output<string>;
    /** The rendered nginx.conf (no secrets in it). */
    public readonly nginxConf: pulumi.Output<string>;
    /** sha256 of the rendered config and certificate. */
    public readonly configHash: pulumi.Output<string>;
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: EdgeProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything is registered: a bad value leaves no half-made component.
        const s = componentSettings(`EdgeProxy ${name}`, PROXY_KEYS, args);
        super("nestflux:edge:EdgeProxy", name, {}, opts);
        const runAs = args.runAs ?? "101:101";
        const [uid, gid] = runAs.split(":");
        const labels = toLabels(args.labels);

        this.nginxConf = pulumi
            .output(args.upstreams)
            .apply((upstreams) =>
                edgeNginxConf(s, {
                    upstreams,
                    trustedChain: args.trustedChainPem !== undefined,
                    upstreamTlsServerName: args.upstreamTls?.serverName,
                    opensslVersion: args.opensslVersion,
                }),
            );
        this.configHash = pulumi
            .all([this.nginxConf, args.certificateChainPem])
            .apply(([conf, cert]) => createHash("sha256").update(conf).update(cert).digest("hex"));

        const image = new docker.RemoteImage(`${name}-image`, { name: s.proxyImage, keepLocally: true }, { parent: this });
        const { volumes, revisions } = this.mounts(name, args, s, image, runAs);

        const container = new docker.Container(
            // Named like the component: the container is the proxy.
            name,
            {
                name: pulumi.interpolate`${args.namePrefix}-proxy`,
                image: image.imageId,
                hostname: "proxy",
                user: runAs,
                // Straight to nginx: the image's entrypoint scripts rewrite files we keep read-only.
                entrypoints: ["nginx", "-c", `${CONF_DIR}/nginx.conf`, "-g", "daemon off;"],
                volumes,
                ports: [
                    { internal: PROXY_CONTAINER_PORTS.http, external: s.httpPort, ip: s.bindAddress, protocol: "tcp" },
                    { internal: PROXY_CONTAINER_PORTS.https, external: s.httpsPort, ip: s.bindAddress, protocol: "tcp" },
                ],
                networksAdvanced: [{ name: args.edgeNetworkName }, { name: args.appNetworkName }],
                healthcheck: {
                    // curl ships in the official Debian-based nginx image.
                    tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", `http://127.0.0.1:${PROXY_CONTAINER_PORTS.http}/healthz`],
                    interval: "10s",
                    timeout: "5s",
                    retries: 3,
                    startPeriod: "10s",
                },
                wait: true,
                waitTimeout: 60,
                readOnly: true,
                tmpfs: {
                    // Docker's tmpfs is root-owned unless told otherwise; nginx runs as runAs.
                    "/var/cache/nginx": `rw,noexec,nosuid,size=64m,uid=${uid},gid=${gid},mode=0700`,
                    "/tmp": "rw,noexec,nosuid,size=16m,mode=1777",
                },
                ...hardened({ memoryMb: memoryMb(s.proxyMemory)!, cpus: s.proxyCpus }),
                ...BOUNDED_RESTART,
                labels: [
                    ...labels,
                    { label: "nestflux.config-sha256", value: this.configHash },
                    { label: "nestflux.files-revision", value: pulumi.all(revisions).apply((r) => r.join(",")) },
                ],
            },
            // Fixed host ports cannot be held twice: delete the old container first (pulumi-docker#1356).
            { parent: this, deleteBeforeReplace: true },
        );

        this.containerName = container.name;
        this.url = pulumi.output(`https://${s.domain}${s.httpsPort === 443 ? "" : `:${s.httpsPort}`}/`);
        this.registerOutputs({ containerName: this.containerName, configHash: this.configHash, url: this.url });
    }

    /** The read-only mounts: rendered config and keys, then the SPA (or a placeholder) and ACME files. */
    private mounts(name: string, args: EdgeProxyArgs, s: ProxyComponentSettings, image: docker.RemoteImage, runAs: string) {
        const files: ServiceFile[] = [
            { name: "nginx.conf", content: this.nginxConf },
            { name: "fullchain.pem", content: args.certificateChainPem },
            { name: "privkey.pem", content: args.privateKeyPem, secret: true },
        ];
        // The same test as the rendered config's: a chain file exactly when the config names one.
        if (args.trustedChainPem !== undefined) files.push({ name: "chain.pem", content: args.trustedChainPem });
        if (args.upstreamTls) files.push({ name: "upstream-ca.pem", content: args.upstreamTls.caCertificatePem });
        const config = new ServiceFiles(
            `${name}-config`,
            { name: pulumi.interpolate`${args.namePrefix}-proxy-config`, image: image.imageId, owner: runAs, files, labels: args.labels },
            { parent: this },
        );

        const volumes: docker.types.input.ContainerVolume[] = [{ volumeName: config.volumeName, containerPath: CONF_DIR, readOnly: true }];
        const revisions: pulumi.Input<string>[] = [config.revision];
        if (s.spaDir) {
            volumes.push({ hostPath: s.spaDir, containerPath: STATIC_ROOT, readOnly: true });
        } else {
            const site = new ServiceFiles(
                `${name}-site`,
                {
                    name: pulumi.interpolate`${args.namePrefix}-proxy-site`,
                    image: image.imageId,
                    owner: runAs,
                    files: [{ name: "index.html", content: renderPlaceholderPage(s.domain) }],
                    labels: args.labels,
                },
                { parent: this },
            );
            volumes.push({ volumeName: site.volumeName, containerPath: STATIC_ROOT, readOnly: true });
            revisions.push(site.revision);
        }
        if (s.acmeDir) {
            volumes.push({ hostPath: s.acmeDir, containerPath: ACME_ROOT, readOnly: true });
        }
        return { volumes, revisions };
    }
}
