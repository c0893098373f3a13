import { compile as compileProxyAddr } from 'proxy-addr';
import { parse as parsePgUrl } from 'pg-connection-string';

export class ParseError extends Error {}

/** sslmode values we accept in DATABASE_URL: we always verify chain AND host name. */
const ACCEPTED_SSLMODES = new Set([undefined, 'verify-full']);
/** TLS material comes from the *_FILE variables, never from URL parameters. */
const REJECTED_URL_PARAMS = ['sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'uselibpqcompat'];

export interface ParsedDatabaseUrl {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

/**
 * Parse DATABASE_URL with pg-connection-string (the parser node-postgres uses) but do
 * NOT hand the URL to pg: pg merges the parsed URL over the explicit options, so
 * `sslmode=verify-full` would replace our `ssl: { ca }` with `ssl: {}` and the CA file
 * would be silently ignored. We take host/port/user/password/database only and build
 * the TLS options ourselves (see database/pg-options.ts).
 */
export function parseDatabaseUrl(raw: string): ParsedDatabaseUrl {
  // Look at the TLS parameters ourselves first: pg-connection-string would act on them
  // (read sslrootcert files, warn about sslmode aliases).
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ParseError('DATABASE_URL is not a valid connection URL');
  }
  const sslmode = url.searchParams.get('sslmode') ?? undefined;
  if (!ACCEPTED_SSLMODES.has(sslmode)) {
    throw new ParseError(
      `DATABASE_URL has sslmode=${sslmode}; only sslmode=verify-full is accepted (the server is always verified against DATABASE_CA_FILE, including its host name)`,
    );
  }
  for (const p of REJECTED_URL_PARAMS) {
    if (url.searchParams.has(p)) {
      throw new ParseError(`DATABASE_URL must not carry ${p}; use DATABASE_CA_FILE / DATABASE_CLIENT_CERT_FILE / DATABASE_CLIENT_KEY_FILE`);
    }
  }
  url.searchParams.delete('sslmode');
  let parsed: ReturnType<typeof parsePgUrl>;
  try {
    parsed = parsePgUrl(url.toString());
  } catch {
    throw new ParseError('DATABASE_URL is not a valid connection URL');
  }
  if (!parsed.host || parsed.host.startsWith('/')) {
    throw new ParseError('DATABASE_URL must name a TCP host (TLS is required; Unix sockets are not used)');
  }
  if (!parsed.database) {
    throw new ParseError('DATABASE_URL must name a database');
  }
  if (!parsed.user) {
    throw new ParseError('DATABASE_URL must name a user');
  }
  const port = parsed.port ? Number(parsed.port) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ParseError('DATABASE_URL has an invalid port');
  }
  return {
    host: parsed.host,
    port,
    user: parsed.user,
    password: parsed.password || undefined,
    database: parsed.database,
  };
}

/**
 * TRUST_PROXY → express 'trust proxy'. Unset/"false" = trust nobody (req.ip is the
 * TCP peer). "true" (trust everyone) is refused: any client could then choose its own
 * rate-limit key with X-Forwarded-For. Accepts a hop count or a comma list of
 * addresses / CIDRs / proxy-addr names (loopback, linklocal, uniquelocal).
 */
export function parseTrustProxy(value: string | undefined): false | number | string[] {
  const v = (value ?? '').trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') {
    throw new ParseError(
      'TRUST_PROXY=true would trust X-Forwarded-For from any client; set the proxy address or subnet instead (e.g. "loopback" or "172.20.1.0/24")',
    );
  }
  if (/^[0-9]+$/.test(v)) return Number(v);
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  try {
    compileProxyAddr(list);
  } catch (e) {
    throw new ParseError(`TRUST_PROXY is invalid: ${(e as Error).message}`);
  }
  return list;
}
