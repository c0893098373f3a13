import express from 'express';
import helmet from 'helmet';
import { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { buildPoolConfig } from '../../src/database/pg-options';
import { helmetOptions } from '../../src/config/helmet-options';
import { SecurityEventLogger } from '../../src/common/security-events';
import { MIGRATIONS } from '../../src/database/migrations';

describe('buildPoolConfig', () => {
  const db = { host: 'db.internal', port: 5432, user: 'app', password: 'pw', database: 'nestflux', ca: 'CA-PEM', caFile: '/ca.crt' };

  it('verifies the server with the CA file only and never passes a connection string', () => {
    const c = buildPoolConfig(db);
    expect(c).not.toHaveProperty('connectionString');
    expect(c.ssl).toEqual({ ca: 'CA-PEM', rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    // checkServerIdentity is left to Node's default (host name / IP against the SANs).
    expect(c.ssl).not.toHaveProperty('checkServerIdentity');
    expect(c).toMatchObject({ host: 'db.internal', port: 5432, user: 'app', password: 'pw', database: 'nestflux' });
  });

  it('adds the client certificate when configured', () => {
    const c = buildPoolConfig({ ...db, clientCert: 'CERT', clientKey: 'KEY' });
    expect(c.ssl).toMatchObject({ cert: 'CERT', key: 'KEY', ca: 'CA-PEM' });
  });
});

describe('helmet options', () => {
  it('leaves HSTS, CSP and X-Frame-Options to the proxy and keeps the other defaults', async () => {
    const app = express();
    app.use(helmet(helmetOptions()));
    app.get('/', (_req, res) => {
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.resume();
        resolve(res.headers);
      })
        .on('error', reject)
        .end();
    });
    server.close();
    expect(headers['strict-transport-security']).toBeUndefined();
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['x-frame-options']).toBeUndefined();
    expect(headers['x-powered-by']).toBeUndefined();
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['cross-origin-resource-policy']).toBe('same-origin');
  });
});

describe('SecurityEventLogger', () => {
  it('writes one JSON object per line and drops secret-looking fields', () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      new SecurityEventLogger().log('login_failed', {
        email: 'a@b.c',
        password: 'hunter2',
        authorization: 'Bearer x',
        passwordHash: 'h',
        ip: '198.51.100.1',
      });
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(true);
    expect(lines[0].trim().includes('\n')).toBe(false);
    const obj = JSON.parse(lines[0]);
    expect(obj).toMatchObject({ type: 'security', event: 'login_failed', level: 'warn', email: 'a@b.c', ip: '198.51.100.1' });
    expect(lines[0]).not.toMatch(/hunter2|Bearer|passwordHash/);
  });
});

describe('migrations', () => {
  it('have unique, ordered ids', () => {
    const ids = MIGRATIONS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});
