import { API_DIST } from "./requirements";
import { Server, freePort, run, waitFor } from "./process";

export interface ApiOptions {
    databaseUrl: string;
    databaseCaFile: string;
    jwtSecret: string;
    migrate: boolean;
    https?: { certFile: string; keyFile: string };
    extraEnv?: Record<string, string>;
}

export interface ApiInstance {
    port: number;
    server: Server;
}

/** Start the real API (api/dist) on a free loopback port with the env contract the stack uses. */
export async function startApi(opts: ApiOptions, waitHealthy = true): Promise<ApiInstance> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: opts.databaseUrl,
        DATABASE_CA_FILE: opts.databaseCaFile,
        JWT_SECRET: opts.jwtSecret,
        TRUST_PROXY: "loopback",
        MIGRATE_ON_START: String(opts.migrate),
        HTTPS: opts.https ? "true" : "false",
        ...(opts.https ? { HTTPS_CERT_FILE: opts.https.certFile, HTTPS_KEY_FILE: opts.https.keyFile } : {}),
        ...opts.extraEnv,
    };
    const server = new Server(`api:${port}`, process.execPath, [API_DIST], { env });
    if (waitHealthy) {
        const scheme = opts.https ? "https" : "http";
        await waitFor(
            `API on ${port}`,
            async () => {
                if (!server.running) throw new Error("exited");
                return run("curl", ["-fsS", "-k", `${scheme}://127.0.0.1:${port}/api/health/ready`]).code === 0;
            },
            () => server.logs(),
            60000,
        );
    }
    return { port, server };
}
