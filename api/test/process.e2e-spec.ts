import { spawn, ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './support/postgres-tls';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  appEnv,
  DIST_MAIN,
  dumpLogsOnFailure,
  requireBuilt,
  runNode,
  startTestDb,
  TestDb,
  writeSecret,
} from './support/app-env';

const DIST = join(__dirname, '..', 'dist');

/** The built artefacts as the container runs them: dist/main.js, dist/migrate.js, dist/healthcheck.js. */
describe('process behaviour (e2e, node dist/*.js)', () => {
  let db: TestDb;
  beforeAll(async () => {
    requireBuilt();
    db = await startTestDb();
  });
  afterAll(async () => {
    dumpLogsOnFailure(db, 'process.e2e');
    await db?.pg.stop();
  });

  describe('config validated at start', () => {
    it('a missing JWT secret stops the process with a message naming JWT_SECRET', async () => {
      const res = await runNode(DIST_MAIN, appEnv(db, { JWT_SECRET_FILE: undefined }));
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/Invalid configuration:[\s\S]*JWT_SECRET is required/);
    });

    it('a weak JWT secret is refused', async () => {
      const res = await runNode(DIST_MAIN, appEnv(db, { JWT_SECRET_FILE: undefined, JWT_SECRET: 'too-short' }));
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/JWT_SECRET is too weak/);
      expect(res.stderr).not.toContain('too-short');
    });

    it('a missing DB URL and an unreadable CA file are both named', async () => {
      const res = await runNode(DIST_MAIN, appEnv(db, { DATABASE_URL_FILE: undefined, DATABASE_CA_FILE: '/nonexistent/ca.crt' }));
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/DATABASE_URL is required/);
      expect(res.stderr).toMatch(/DATABASE_CA_FILE: cannot read \/nonexistent\/ca.crt/);
    });
  });

  describe('migrate command', () => {
    it('applies the schema once and seeds the admin idempotently', async () => {
      const env = appEnv(db);
      const first = await runNode(join(DIST, 'migrate.js'), env);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/applied migrations: 001_users_and_notes/);
      expect(first.stdout).toMatch(/initial admin created/);
      const second = await runNode(join(DIST, 'migrate.js'), env);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/schema up to date/);
      expect(second.stdout).toMatch(/initial admin already present/);
      expect(db.pg.psql(`SELECT count(*) FROM users WHERE email = '${ADMIN_EMAIL}'`, db.database).trim()).toBe('1');
    });
  });

  describe('server, healthcheck and SIGTERM', () => {
    async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; out: () => string }> {
      const child = spawn(process.execPath, [DIST_MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 20000;
      while (!/listening on/.test(out)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return { child, out: () => out };
    }

    async function sigterm(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
      const t = Date.now();
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      const r = await exited;
      clearTimeout(timer);
      return { ...r, ms: Date.now() - t };
    }

    it('HTTP: healthcheck passes while up; SIGTERM closes the pool and exits', async () => {
      const port = String(await freePort());
      const metricsPort = String(await freePort());
      const env = appEnv(db, { PORT: port, HOST: '127.0.0.1', METRICS_PORT: metricsPort });
      const { child, out } = await startServer(env);
      try {
        const hc = await runNode(join(DIST, 'healthcheck.js'), { PORT: port, HOST: '127.0.0.1' });
        expect(hc.code).toBe(0);
        // METRICS_PORT: Prometheus text on its own listener, not on the app's port.
        const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        expect([metrics.status, await metrics.text()]).toEqual([200, expect.stringMatching(/^nestflux_api_process_resident_memory_bytes \d+/m)]);
        expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      } finally {
        const r = await sigterm(child);
        expect(r.ms).toBeLessThan(10000);
        expect(r.code === 0 || r.signal === 'SIGTERM').toBe(true);
      }
      expect(out()).toMatch(/closing PostgreSQL pool \(SIGTERM\)/);
      // Every stdout line is a JSON object.
      for (const line of out().split('\n').filter((l) => l.trim())) expect(() => JSON.parse(line)).not.toThrow();
      const after = await runNode(join(DIST, 'healthcheck.js'), { PORT: port, HOST: '127.0.0.1' });
      expect(after.code).toBe(1);
    });

    it('client errors from the body parsers (413, 415, bad JSON, refused shapes) are answered and logged at warn, without a stack', async () => {
      const port = String(await freePort());
      const { child, out } = await startServer(appEnv(db, { PORT: port, HOST: '127.0.0.1', CLIENT_MAX_BODY_SIZE: '1k' }));
      const post = (body: string, headers: Record<string, string> = {}) =>
        fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9', ...headers }, body });
      try {
        const statuses = [
          (await post(JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(4096) }))).status,
          (await post('{}', { 'content-encoding': 'compress' })).status,
          (await post('{"email": ')).status,
          (await post('['.repeat(20000) + ']'.repeat(20000), { 'x-forwarded-for': '203.0.113.10' })).status,
          (await post(JSON.stringify({ email: 'a\u0000@b.c', password: 'p' }), { 'x-forwarded-for': '203.0.113.11' })).status,
        ];
        expect(statuses).toEqual([413, 415, 400, 413, 400]);
        const deep = await post('{"a":'.repeat(100) + '1' + '}'.repeat(100), { 'x-forwarded-for': '203.0.113.12' });
        expect(deep.status).toBe(400);
        expect(await deep.json()).toMatchObject({ statusCode: 400, message: expect.stringMatching(/deeper than 32/) });
        // A parse error's text quotes the body: neither the answer nor the log repeats it.
        const leaky = await post('{"email":"a@b.c","password":"hunter2hunter2', { 'x-forwarded-for': '203.0.113.13' });
        expect([leaky.status, JSON.stringify(await leaky.json())]).toEqual([400, expect.not.stringContaining('hunter2')]);
      } finally {
        await sigterm(child);
      }
      const lines = out().split('\n').filter((l) => l.trim());
      expect(out()).not.toMatch(/^\s+at /m);
      expect(out()).not.toContain('hunter2');
      const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.context === 'ClientError');
      expect(warnings.length).toBe(7);
      for (const w of warnings) expect(w.level).toBe('warn');
    });

    it("a burst of 40 concurrent logins keeps the process's peak memory under the container's 256 MB limit", async () => {
      const port = String(await freePort());
      const { child, out } = await startServer(appEnv(db, { PORT: port, HOST: '127.0.0.1', AUTH_RATE_LIMIT_RPM: '6000', AUTH_RATE_LIMIT_BURST: '1000' }));
      try {
        const login = (i: number) =>
          fetch(`http://127.0.0.1:${port}/api/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}` },
            body: JSON.stringify({ email: ADMIN_EMAIL, password: i % 2 === 0 ? ADMIN_PASSWORD : 'a-wrong-password' }),
          }).then((r) => r.status);
        const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => login(i)));
        expect(statuses.filter((s) => s === 200)).toHaveLength(20);
        expect(statuses.filter((s) => s === 401)).toHaveLength(20);
        // Peak resident set size of the server over its whole life, from the kernel.
        const hwmKb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
        // The stack's default apiMemory: a container at its limit is OOM-killed.
        expect(hwmKb * 1024).toBeLessThan(256 * 1024 * 1024);
      } finally {
        await sigterm(child);
      }
      expect(out()).not.toMatch(/heap out of memory/);
    });

    it('HTTPS=true: serves TLS; healthcheck works pinned and with the CA, fails with a wrong CA', async () => {
      const port = String(await freePort());
      const cert = db.pg.issueServerCert('api', ['DNS:api.internal', 'DNS:localhost', 'IP:127.0.0.1']);
      const env = appEnv(db, { PORT: port, HOST: '127.0.0.1', HTTPS: 'true', HTTPS_CERT_FILE: cert.certFile, HTTPS_KEY_FILE: cert.keyFile });
      const { child } = await startServer(env);
      try {
        const body = await new Promise<string>((resolve, reject) => {
          httpsRequest({ host: '127.0.0.1', port: Number(port), path: '/api/health', ca: readFileSync(db.pg.caFile), servername: 'api.internal' }, (res) => {
            let b = '';
            res.on('data', (d: Buffer) => (b += d.toString()));
            res.on('end', () => resolve(`${res.statusCode} ${b}`));
          })
            .on('error', reject)
            .end();
        });
        expect(body).toBe('200 {"status":"ok"}');
        const base = { PORT: port, HOST: '127.0.0.1', HTTPS: 'true', HTTPS_CERT_FILE: cert.certFile };
        expect((await runNode(join(DIST, 'healthcheck.js'), base)).code).toBe(0);
        expect((await runNode(join(DIST, 'healthcheck.js'), { ...base, HEALTHCHECK_CA_FILE: db.pg.caFile })).code).toBe(0);
        expect(
          (await runNode(join(DIST, 'healthcheck.js'), { ...base, HEALTHCHECK_CA_FILE: db.pg.caFile, HEALTHCHECK_SERVERNAME: 'api.internal' })).code,
        ).toBe(0);
        const wrongName = await runNode(join(DIST, 'healthcheck.js'), { ...base, HEALTHCHECK_CA_FILE: db.pg.caFile, HEALTHCHECK_SERVERNAME: 'other.internal' });
        expect(wrongName.code).toBe(1);
        const wrongCa = await runNode(join(DIST, 'healthcheck.js'), { ...base, HEALTHCHECK_CA_FILE: db.pg.makeOtherCa('x') });
        expect(wrongCa.code).toBe(1);
        const otherCert = db.pg.issueServerCert('not-api', ['DNS:localhost']);
        const wrongPin = await runNode(join(DIST, 'healthcheck.js'), { ...base, HTTPS_CERT_FILE: otherCert.certFile });
        expect(wrongPin.code).toBe(1);
        expect(wrongPin.stderr).toMatch(/not HTTPS_CERT_FILE/);
      } finally {
        await sigterm(child);
      }
    });

    it('the JWT secret can come from the environment too (JWT_SECRET, no file)', async () => {
      const res = await runNode(
        DIST_MAIN,
        appEnv(db, { JWT_SECRET_FILE: undefined, JWT_SECRET: 'y'.repeat(40), DATABASE_CA_FILE: writeSecret(db.secretsDir, 'empty.crt', '') }),
      );
      // It gets past the JWT check and stops at the (empty) CA file instead.
      expect(res.code).toBe(1);
      expect(res.stderr).not.toMatch(/JWT_SECRET/);
      expect(res.stderr).toMatch(/DATABASE_CA_FILE: .* does not contain a PEM/);
    });
  });
});
