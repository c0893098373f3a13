import * as fs from "fs";
import * as path from "path";
import { securityHeaders } from "../../components/render/nginx";
import { sleep } from "./driver/engine";
import { Deployment, host, runOn } from "./harness";

/**
 * The checks the tier runs after a deploy, the same for either driver: from the host only through
 * the published ports on 127.0.0.1, inside the networks with `docker exec` or throwaway
 * containers on the stack's own networks.
 */

export interface Edge {
    domain: string;
    httpPort: number;
    httpsPort: number;
    /** CA file a client trusts for the edge certificate. */
    caPath: string;
}

/** The stack's public edge, for a client that trusts `caPem` (written next to the state). */
export function edgeOf(d: Deployment, caPem: string): Edge {
    const caPath = path.join(d.dir, "edge-trust.pem");
    fs.writeFileSync(caPath, caPem);
    return { domain: d.setting("domain"), httpPort: Number(d.setting("httpPort")), httpsPort: Number(d.setting("httpsPort")), caPath };
}

/** curl through the published port, the domain pinned to 127.0.0.1. */
export function curl(e: Edge, urlPath: string, args: string[] = [], scheme: "https" | "http" = "https") {
    const port = scheme === "https" ? e.httpsPort : e.httpPort;
    return host("curl", [
        "-sS", "--max-time", "20", "--cacert", e.caPath, "--resolve", `${e.domain}:${port}:127.0.0.1`,
        "-D", "-", "-o", "/dev/null", ...args, `${scheme}://${e.domain}:${port}${urlPath}`,
    ]);
}

export function curlBody(e: Edge, urlPath: string, args: string[] = []) {
    return host("curl", ["-sS", "--max-time", "20", "--cacert", e.caPath, "--resolve", `${e.domain}:${e.httpsPort}:127.0.0.1`, ...args, `https://${e.domain}:${e.httpsPort}${urlPath}`]);
}

export function headerLines(raw: string): [string, string][] {
    const blocks = raw.trim().split(/\r?\n\r?\n/);
    return blocks[blocks.length - 1]
        .split(/\r?\n/)
        .slice(1)
        .map((l) => {
            const i = l.indexOf(":");
            return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
        });
}

export function statusOf(raw: string): number {
    const m = /HTTP\/[\d.]+ (\d{3})/g;
    let last = 0;
    let x: RegExpExecArray | null;
    while ((x = m.exec(raw))) last = Number(x[1]);
    return last;
}

export async function waitHttp(e: Edge, urlPath: string, want: number, ms = 60000): Promise<number> {
    const deadline = Date.now() + ms;
    let status = 0;
    while (Date.now() < deadline) {
        status = statusOf(curl(e, urlPath).stdout);
        if (status === want) return status;
        await sleep(1000);
    }
    return status;
}

export function expectedHeaders(d: Deployment): string[] {
    const c = d.config;
    return securityHeaders({
        hstsMaxAge: 63072000,
        hstsIncludeSubDomains: true,
        hstsPreload: c["nestflux:hstsPreload"] === "true",
        contentSecurityPolicy: "",
        permissionsPolicy: "",
    }).map(([k]) => k.toLowerCase());
}

export interface ApiSession {
    token: string;
}

export function login(e: Edge, email: string, password: string): ApiSession {
    const r = curlBody(e, "/api/auth/login", ["-X", "POST", "-H", "content-type: application/json", "--data", JSON.stringify({ email, password })]);
    const token = JSON.parse(r.stdout || "{}").accessToken;
    if (!token) throw new Error(`login failed: ${r.stdout} ${r.stderr}`);
    return { token };
}

export function api(e: Edge, s: ApiSession, method: string, urlPath: string, body?: unknown): any {
    const args = ["-X", method, "-H", `authorization: Bearer ${s.token}`];
    if (body !== undefined) args.push("-H", "content-type: application/json", "--data", JSON.stringify(body));
    const r = curlBody(e, urlPath, args);
    try {
        return JSON.parse(r.stdout);
    } catch {
        throw new Error(`${method} ${urlPath}: ${r.stdout} ${r.stderr}`);
    }
}

/** psql in a throwaway container on the data network, logging in exactly as the API does: its URL, CA and client certificate from the API's own files volume. */
export function psqlAsApi(d: Deployment, sql: string, urlOverride?: (url: string) => string) {
    const dbImage = d.setting("dbImage");
    const files = `${d.prefix}-api-files`;
    const clientCert = d.setting("dbClientCerts") === "true";
    const tlsParams = `sslrootcert=/run/nestflux/db-ca.crt${clientCert ? "&sslcert=/run/nestflux/db-client.crt&sslkey=/run/nestflux/db-client.key" : ""}`;
    const url = urlOverride ? urlOverride("$(cat /run/nestflux/database_url)") : "$(cat /run/nestflux/database_url)";
    return runOn(`${d.prefix}-data`, dbImage, ["-c", `psql "${url}&${tlsParams}" -X -At -v ON_ERROR_STOP=1 -c "${sql.replace(/"/g, '\\"')}"`], {
        mounts: [`${files}:/run/nestflux:ro`],
        user: "1000:1000",
        entrypoint: "/bin/sh",
    });
}

/** Container-level facts every long-running container must show in `docker inspect`. */
export function hardeningProblems(c: any): string[] {
    const problems: string[] = [];
    const h = c.HostConfig;
    const name = c.Name.replace(/^\//, "");
    if (!h.ReadonlyRootfs) problems.push(`${name}: root file system is writable (CIS 5.13)`);
    const user = c.Config.User ?? "";
    if (user === "" || /^(0|root)(:|$)/.test(user)) problems.push(`${name}: runs as root (CIS 4.1)`);
    if (!(h.CapDrop ?? []).includes("ALL")) problems.push(`${name}: capabilities not dropped`);
    if ((h.CapAdd ?? []).length > 0) problems.push(`${name}: adds capabilities ${h.CapAdd.join(",")}`);
    if (!(h.SecurityOpt ?? []).some((o: string) => /^no-new-privileges(:true|=true)?$/.test(o))) problems.push(`${name}: no no-new-privileges (CIS 5.26)`);
    if (!(h.Memory > 0)) problems.push(`${name}: no memory limit (CIS 5.11)`);
    if (!(h.NanoCpus > 0)) problems.push(`${name}: no CPU limit (CIS 5.12)`);
    if (h.RestartPolicy?.Name !== "on-failure" || h.RestartPolicy?.MaximumRetryCount !== 5) problems.push(`${name}: restart policy ${JSON.stringify(h.RestartPolicy)} (CIS 5.15)`);
    if (h.Privileged) problems.push(`${name}: privileged`);
    return problems;
}
