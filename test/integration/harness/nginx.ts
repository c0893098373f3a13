import * as fs from "fs";
import * as path from "path";
import { DEFAULTS, pick, PROXY_KEYS } from "../../../components/settings";
import { NginxConfInput, renderNginxConf } from "../../../components/render/nginx";
import { Server, freePort, run, tempDir, waitFor } from "./process";

export interface NginxInstance {
    httpPort: number;
    httpsPort: number;
    dir: string;
    conf: string;
    accessLog(): string;
    errorLog(): string;
    stop(): Promise<void>;
}

/** The installed nginx's version, so the renderer picks the HTTP/2 form this binary takes. */
export function nginxVersion(): string {
    const m = /nginx\/(\d+\.\d+\.\d+)/.exec(run("nginx", ["-v"]).stderr);
    if (!m) throw new Error("cannot read nginx -v");
    return m[1];
}

/** The OpenSSL this nginx runs with, so the renderer picks the key-exchange groups it knows. */
export function nginxOpensslVersion(): string {
    const m = /running with OpenSSL (\d+\.\d+\.\d+)|built with OpenSSL (\d+\.\d+\.\d+)/.exec(run("nginx", ["-V"]).stderr);
    if (!m) throw new Error("cannot read the OpenSSL version from nginx -V");
    return m[1] ?? m[2];
}

/**
 * A real nginx serving the rendered nginx.conf. Every setting is the stack's; only ports, paths
 * and the listen address are remapped to this machine.
 */
export async function startNginx(over: Partial<NginxConfInput> & Pick<NginxConfInput, "upstreams" | "certificatePath" | "keyPath">): Promise<NginxInstance> {
    const dir = tempDir("nginx");
    const httpPort = await freePort();
    const httpsPort = await freePort();
    const html = path.join(dir, "html");
    fs.mkdirSync(path.join(html, "assets"), { recursive: true });
    fs.writeFileSync(path.join(html, "index.html"), "<!doctype html><title>NestFlux SPA</title><div id=app>spa-index</div>\n");
    fs.writeFileSync(path.join(html, "assets", "app.3f9a1c2e.js"), "console.log('spa asset');\n");
    fs.mkdirSync(path.join(dir, "tmp"));

    const conf = renderNginxConf({
        // The stack's own defaults for every setting the text depends on; ports and paths below.
        ...pick(DEFAULTS, PROXY_KEYS),
        nginxVersion: nginxVersion(),
        opensslVersion: nginxOpensslVersion(),
        domain: "localhost",
        listenAddress: "127.0.0.1",
        httpPort,
        httpsPort,
        publicHttpsPort: httpsPort,
        staticRoot: html,
        mimeTypesPath: "/etc/nginx/mime.types",
        accessLogPath: path.join(dir, "access.log"),
        errorLogPath: path.join(dir, "error.log"),
        pidPath: path.join(dir, "nginx.pid"),
        tempDir: path.join(dir, "tmp"),
        user: "www-data",
        workerProcesses: "2",
        ...over,
    });
    const confPath = path.join(dir, "nginx.conf");
    fs.writeFileSync(confPath, conf);
    const check = run("nginx", ["-t", "-c", confPath]);
    if (check.code !== 0) throw new Error(`nginx -t rejected the rendered config:\n${check.stderr}\n${conf}`);

    const server = new Server("nginx", "nginx", ["-c", confPath, "-g", "daemon off;"]);
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : "");
    await waitFor(
        "nginx to listen",
        () => run("curl", ["-s", "-o", "/dev/null", `http://127.0.0.1:${httpPort}/healthz`]).code === 0,
        () => server.logs() + read("error.log"),
        20000,
    );
    return {
        httpPort,
        httpsPort,
        dir,
        conf,
        accessLog: () => read("access.log"),
        errorLog: () => read("error.log") + server.logs(),
        stop: async () => {
            await server.stop("SIGQUIT");
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
