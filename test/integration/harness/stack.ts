import * as fs from "fs";
import { DB_HOST } from "../../../components/names";
import { KeyPair, issueLeaf, makeCa } from "../../support/certs";
import { ApiInstance, startApi } from "./api";
import { PgInstance, startPostgres } from "./postgres";
import { tempDir } from "./process";

export const DB_LOGIN = { user: "nestflux", password: "integration-only-password-0123456789", database: "nestflux" };
export const JWT_SECRET = "integration-only-jwt-secret-0123456789abcdef";

/** The DB certificate: the stack's DB host name, plus localhost for clients on this machine. */
export function dbServerCert(dir: string, ca: KeyPair): KeyPair {
    return issueLeaf(dir, "db", ca, { commonName: DB_HOST, dnsNames: [DB_HOST, "localhost"], usage: "server" });
}

/** The proxy's certificate for the loopback "domain". */
export function edgeCert(dir: string, ca: KeyPair): KeyPair {
    return issueLeaf(dir, "edge", ca, { commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: "server" });
}

export interface Backend {
    dir: string;
    ca: KeyPair;
    edge: KeyPair;
    pg: PgInstance;
    apis: ApiInstance[];
    databaseUrl: string;
    stop(): Promise<void>;
}

/** CA and certificates, PostgreSQL, and `replicas` API processes: what sits behind the proxy. */
export async function startBackend(replicas: number): Promise<Backend> {
    const dir = tempDir("stack");
    const ca = makeCa(dir);
    const edge = edgeCert(dir, ca);
    const pg = await startPostgres({ ca, server: dbServerCert(dir, ca), ...DB_LOGIN });
    const databaseUrl = `postgresql://${DB_LOGIN.user}:${DB_LOGIN.password}@localhost:${pg.port}/${DB_LOGIN.database}?sslmode=verify-full`;
    const apis: ApiInstance[] = [];
    const stop = async () => {
        for (const a of apis) await a.server.stop();
        await pg.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        for (let i = 0; i < replicas; i++) {
            // As in the stack: the first replica migrates, the others start after it is healthy.
            apis.push(await startApi({ databaseUrl, databaseCaFile: ca.certPath, jwtSecret: JWT_SECRET, migrate: i === 0 }));
        }
    } catch (e) {
        await stop();
        throw e;
    }
    return { dir, ca, edge, pg, apis, databaseUrl, stop };
}
