import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load-config';

const dir = mkdtempSync(join(tmpdir(), 'nestflux-cfg-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const caFile = file('ca.crt', PEM_CERT);
const SECRET = 'x'.repeat(32);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function env(over: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    DATABASE_URL: 'postgresql://app:s3cr%40t@db.internal:5432/nestflux?sslmode=verify-full',
    DATABASE_CA_FILE: caFile,
    JWT_SECRET: SECRET,
    ...over,
  };
}

function issues(e: Record<string, string | undefined>): string[] {
  try {
    loadConfig(e);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('accepts the minimal contract and applies the defaults', () => {
    const c = loadConfig(env());
    expect(c.port).toBe(3000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.database).toMatchObject({ host: 'db.internal', port: 5432, user: 'app', password: 's3cr@t', database: 'nestflux' });
    expect(c.database.ca).toBe(PEM_CERT);
    expect(c.jwt).toEqual({ secret: SECRET, ttlSeconds: 900 });
    expect(c.https).toEqual({ enabled: false });
    expect(c.trustProxy).toBe(false);
    expect(c.corsOrigins).toEqual([]);
    expect(c.throttle).toEqual({ ttlMs: 60000, limit: 10 * 60 + 20, loginLimit: 10 + 5 });
    expect(c.bodyLimitBytes).toBe(1024 * 1024);
    expect(c.migrateOnStart).toBe(false);
    expect(c.admin).toBeUndefined();
  });

  it('the migration job needs no JWT secret, the server does', () => {
    expect(issues(env({ JWT_SECRET: undefined })).join('\n')).toMatch(/JWT_SECRET is required/);
    const c = loadConfig(env({ JWT_SECRET: undefined }), { purpose: 'migration' });
    expect(c.database.user).toBe('app');
    expect(c.jwt.secret).toBe('');
    // Only the secret it does not need is excused: a missing database URL still fails.
    expect(() => loadConfig(env({ JWT_SECRET: undefined, DATABASE_URL: undefined }), { purpose: 'migration' })).toThrow(/DATABASE_URL is required/);
  });

  it('parses numbers and flags from strings', () => {
    const c = loadConfig(
      env({
        PORT: '8443',
        RATE_LIMIT_RPS: '7',
        RATE_LIMIT_BURST: '3',
        AUTH_RATE_LIMIT_RPM: '2',
        AUTH_RATE_LIMIT_BURST: '1',
        CLIENT_MAX_BODY_SIZE: '512k',
        MIGRATE_ON_START: 'true',
        JWT_TTL: '1h',
      }),
    );
    expect(c.port).toBe(8443);
    // A minute's budget of the proxy's leaky bucket: rate × 60 plus the burst.
    expect(c.throttle).toEqual({ ttlMs: 60000, limit: 7 * 60 + 3, loginLimit: 2 + 1 });
    expect(c.bodyLimitBytes).toBe(512 * 1024);
    expect(c.migrateOnStart).toBe(true);
    expect(c.jwt.ttlSeconds).toBe(3600);
  });

  it('names JWT_SECRET when it is missing', () => {
    expect(issues(env({ JWT_SECRET: undefined })).join('\n')).toMatch(/JWT_SECRET is required/);
  });

  it('rejects a JWT secret shorter than 32 characters', () => {
    expect(issues(env({ JWT_SECRET: 'x'.repeat(31) })).join('\n')).toMatch(/JWT_SECRET is too weak/);
  });

  it('prefers JWT_SECRET_FILE over JWT_SECRET and strips one trailing newline', () => {
    const fromFile = 'f'.repeat(40);
    const c = loadConfig(env({ JWT_SECRET: 'short', JWT_SECRET_FILE: file('jwt', `${fromFile}\n`) }));
    expect(c.jwt.secret).toBe(fromFile);
  });

  it('names JWT_SECRET_FILE when the file cannot be read', () => {
    expect(issues(env({ JWT_SECRET_FILE: join(dir, 'nope') })).join('\n')).toMatch(/JWT_SECRET_FILE: cannot read/);
  });

  it('prefers DATABASE_URL_FILE over DATABASE_URL', () => {
    const c = loadConfig(env({ DATABASE_URL_FILE: file('dburl', 'postgresql://u:p@other:6543/db2\n') }));
    expect(c.database).toMatchObject({ host: 'other', port: 6543, user: 'u', password: 'p', database: 'db2' });
  });

  it('requires DATABASE_URL', () => {
    expect(issues(env({ DATABASE_URL: undefined })).join('\n')).toMatch(/DATABASE_URL is required/);
  });

  it.each(['disable', 'prefer', 'require', 'verify-ca'])('refuses sslmode=%s', (mode) => {
    const url = `postgresql://u:p@h:5432/d?sslmode=${mode}`;
    expect(issues(env({ DATABASE_URL: url })).join('\n')).toMatch(/only sslmode=verify-full is accepted/);
  });

  it('refuses TLS file parameters inside the URL', () => {
    const url = 'postgresql://u:p@h:5432/d?sslrootcert=/tmp/x.crt';
    expect(issues(env({ DATABASE_URL: url })).join('\n')).toMatch(/must not carry sslrootcert/);
  });

  it('requires DATABASE_CA_FILE, readable and PEM', () => {
    expect(issues(env({ DATABASE_CA_FILE: undefined })).join('\n')).toMatch(/DATABASE_CA_FILE is required/);
    expect(issues(env({ DATABASE_CA_FILE: join(dir, 'missing.crt') })).join('\n')).toMatch(/DATABASE_CA_FILE: cannot read .*ENOENT/);
    expect(issues(env({ DATABASE_CA_FILE: file('junk.crt', 'hello') })).join('\n')).toMatch(/DATABASE_CA_FILE: .* does not contain a PEM/);
  });

  it('wants client cert and key together', () => {
    const certFile = file('client.crt', PEM_CERT);
    const keyFile = file('client.key', PEM_KEY);
    expect(issues(env({ DATABASE_CLIENT_CERT_FILE: certFile })).join('\n')).toMatch(/must be set together/);
    const c = loadConfig(env({ DATABASE_CLIENT_CERT_FILE: certFile, DATABASE_CLIENT_KEY_FILE: keyFile }));
    expect(c.database.clientCert).toBe(PEM_CERT);
    expect(c.database.clientKey).toBe(PEM_KEY);
  });

  it('requires the HTTPS cert and key when HTTPS=true', () => {
    const text = issues(env({ HTTPS: 'true' })).join('\n');
    expect(text).toMatch(/HTTPS_CERT_FILE is required when HTTPS=true/);
    expect(text).toMatch(/HTTPS_KEY_FILE is required when HTTPS=true/);
    const c = loadConfig(env({ HTTPS: 'true', HTTPS_CERT_FILE: file('s.crt', PEM_CERT), HTTPS_KEY_FILE: file('s.key', PEM_KEY) }));
    expect(c.https.enabled).toBe(true);
  });

  it('parses TRUST_PROXY and refuses "true"', () => {
    expect(loadConfig(env({ TRUST_PROXY: 'loopback' })).trustProxy).toEqual(['loopback']);
    expect(loadConfig(env({ TRUST_PROXY: '172.20.1.0/24, 10.0.0.1' })).trustProxy).toEqual(['172.20.1.0/24', '10.0.0.1']);
    expect(loadConfig(env({ TRUST_PROXY: '1' })).trustProxy).toBe(1);
    expect(loadConfig(env({ TRUST_PROXY: 'false' })).trustProxy).toBe(false);
    expect(issues(env({ TRUST_PROXY: 'true' })).join('\n')).toMatch(/TRUST_PROXY=true would trust/);
    expect(issues(env({ TRUST_PROXY: 'not-an-ip' })).join('\n')).toMatch(/TRUST_PROXY is invalid/);
  });

  it('parses CORS_ORIGINS as exact origins', () => {
    expect(loadConfig(env({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' })).corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    expect(issues(env({ CORS_ORIGINS: '*' })).join('\n')).toMatch(/CORS_ORIGINS must be .*"\*" is not one/);
    expect(issues(env({ CORS_ORIGINS: 'https://a.example/path' })).join('\n')).toMatch(/CORS_ORIGINS must be .*exact origins/);
  });

  it('validates JWT_TTL', () => {
    expect(loadConfig(env({ JWT_TTL: '90s' })).jwt.ttlSeconds).toBe(90);
    expect(issues(env({ JWT_TTL: '15 minutes' })).join('\n')).toMatch(/JWT_TTL must look like/);
    expect(issues(env({ JWT_TTL: '48h' })).join('\n')).toMatch(/JWT_TTL must be at most 24h/);
  });

  it('collects every bad shared setting, each named by its variable, with the rule the stack applies too', () => {
    const found = issues(
      env({ RATE_LIMIT_RPS: '0', AUTH_RATE_LIMIT_BURST: 'x', CLIENT_MAX_BODY_SIZE: '2g', JWT_TTL: '1d' }),
    ).join('\n');
    expect(found).toMatch(/RATE_LIMIT_RPS must be a whole number from 1 to 100000/);
    expect(found).toMatch(/AUTH_RATE_LIMIT_BURST must be a whole number from 0 to 1000/);
    expect(found).toMatch(/CLIENT_MAX_BODY_SIZE must be a size such as 512k/);
    expect(found).toMatch(/JWT_TTL must look like/);
  });

  it('reads the initial admin from ADMIN_EMAIL + ADMIN_PASSWORD_FILE', () => {
    const c = loadConfig(env({ ADMIN_EMAIL: 'Admin@Example.com', ADMIN_PASSWORD_FILE: file('adm', 'a-long-admin-password\n') }));
    expect(c.admin).toEqual({ email: 'admin@example.com', password: 'a-long-admin-password' });
    expect(issues(env({ ADMIN_EMAIL: 'admin@example.com' })).join('\n')).toMatch(/ADMIN_PASSWORD_FILE is required/);
    expect(issues(env({ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD_FILE: file('short', 'short') })).join('\n')).toMatch(
      /ADMIN_PASSWORD_FILE: the password must be at least 15/,
    );
  });

  it('reports every problem at once', () => {
    const all = issues({ PORT: 'abc', HTTPS: 'yes' });
    const text = all.join('\n');
    for (const name of ['PORT', 'HTTPS', 'DATABASE_URL', 'DATABASE_CA_FILE', 'JWT_SECRET']) expect(text).toContain(name);
  });

  it('never puts secret values in the error message', () => {
    try {
      loadConfig(env({ JWT_SECRET: 'weak-but-secret', DATABASE_URL: 'postgresql://u:hunter2@h/d?sslmode=require' }));
      throw new Error('should fail');
    } catch (e) {
      expect((e as Error).message).not.toContain('weak-but-secret');
      expect((e as Error).message).not.toContain('hunter2');
    }
  });
});
