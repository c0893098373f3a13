import { makeCa } from "../support/certs";
import { startApi } from "./harness/api";
import { run } from "./harness/process";
import { describeIntegration } from "./harness/requirements";
import { Backend, JWT_SECRET, startBackend } from "./harness/stack";

jest.setTimeout(120000);

describeIntegration("the API's TLS to PostgreSQL", () => {
    let backend: Backend;
    beforeAll(async () => {
        backend = await startBackend(0);
    });
    afterAll(async () => backend?.stop());

    test("with the stack's CA the API migrates, starts and is ready", async () => {
        const api = await startApi({ databaseUrl: backend.databaseUrl, databaseCaFile: backend.ca.certPath, jwtSecret: JWT_SECRET, migrate: true });
        try {
            expect(run("curl", ["-fsS", `http://127.0.0.1:${api.port}/api/health/ready`]).stdout).toContain('"database":"up"');
        } finally {
            await api.server.stop();
        }
    });

    test("with a CA that did not sign the DB certificate the API refuses to start", async () => {
        const stranger = makeCa(backend.dir, "stranger-ca");
        const api = await startApi({ databaseUrl: backend.databaseUrl, databaseCaFile: stranger.certPath, jwtSecret: JWT_SECRET, migrate: true }, false);
        try {
            const code = await api.server.waitExit(60000);
            expect(code).not.toBeUndefined();
            expect(code).not.toBe(0);
            expect(api.server.logs()).toMatch(/certificate/i);
        } finally {
            await api.server.stop();
        }
    });
}, { needsApi: true });
