import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/load-config';
import { PostgresHandle, startPostgres, StartPostgresOptions } from './postgres-tls';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-Long-1';
export const JWT_SECRET = randomBytes(32).toString('base64');
export const DIST_MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export interface TestDb {
  pg: PostgresHandle;
  url: string;
  user: string;
  password: string;
  database: string;
  secretsDir: string;
}

/** PostgreSQL over TLS with an `app` role owning database `nestflux`. */
export async function startTestDb(opts: StartPostgresOptions = {}): Promise<TestDb> {
  const pg = await startPostgres(opts);
  const user = 'app';
  const password = `pw-${randomBytes(9).toString('base64url')}'"`; // quotes: must survive URL + SQL
  const database = 'nestflux';
  pg.createDatabase(user, password, database);
  // Inside the harness dir: removed by pg.stop().
  const secretsDir = mkdtempSync(join(pg.dir, 'secrets-'));
  return { pg, url: pg.url(user, password, database), user, password, database, secretsDir };
}

export function writeSecret(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text, { mode: 0o600 });
  return p;
}

/** The env contract for an API talking to `db`; secrets go through *_FILE. */
export function appEnv(db: TestDb, over: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    DATABASE_URL_FILE: writeSecret(db.secretsDir, 'database-url', `${db.url}\n`),
    DATABASE_CA_FILE: db.pg.caFile,
    JWT_SECRET_FILE: writeSecret(db.secretsDir, 'jwt-secret', `${JWT_SECRET}\n`),
    JWT_TTL: '5m',
    MIGRATE_ON_START: 'true',
    ADMIN_EMAIL,
    ADMIN_PASSWORD_FILE: writeSecret(db.secretsDir, 'admin-password', `${ADMIN_PASSWORD}\n`),
    RATE_LIMIT_RPS: '20',
    RATE_LIMIT_BURST: '0',
    AUTH_RATE_LIMIT_RPM: '3',
    AUTH_RATE_LIMIT_BURST: '0',
    TRUST_PROXY: 'loopback',
    ...over,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** The real app, in process, listening on 127.0.0.1:<random>. */
export async function startApp(env: Record<string, string>): Promise<NestExpressApplication> {
  const app = await createApp(loadConfig(env), { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

export function appPort(app: NestExpressApplication): number {
  const addr = app.getHttpServer().address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/** Records what the process writes to stdout (the JSON security events) and mutes it. */
export class StdoutCapture {
  private chunks: string[] = [];
  private spy?: jest.SpyInstance;

  start(): this {
    this.spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    });
    return this;
  }

  stop(): void {
    this.spy?.mockRestore();
  }

  text(): string {
    return this.chunks.join('');
  }

  clear(): void {
    this.chunks = [];
  }

  /** Parsed JSON lines with the given `event`. */
  events(event: string): Record<string, unknown>[] {
    return this.text()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((o) => o.event === event);
  }
}

export function requireBuilt(): void {
  if (!existsSync(DIST_MAIN)) throw new Error(`${DIST_MAIN} not found: run "npm run build" before the e2e tests`);
}

/**
 * Print the PostgreSQL server log if any test of this file failed. The flag is set by
 * test/support/failure-aware-environment.js (jest's test events).
 */
export function dumpLogsOnFailure(db: TestDb | undefined, label: string): void {
  const failed = (globalThis as { __NESTFLUX_TEST_FAILED__?: boolean }).__NESTFLUX_TEST_FAILED__;
  if (db && failed) {
    process.stderr.write(`\n----- PostgreSQL server log (${label}) -----\n${db.pg.logs()}\n----- end of log -----\n`);
  }
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `node <script>` with exactly the given env (plus PATH), bounded in time. */
export function runNode(script: string, env: Record<string, string>, timeoutMs = 20000): Promise<ProcResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
