import type { PoolConfig } from 'pg';
import type { DatabaseConfig } from '../config/app-config';

/**
 * node-postgres pool options with TLS verify-full.
 *
 * - No `connectionString`: pg would re-parse it and its sslmode handling would replace
 *   our `ssl` object (dropping the CA). Fields are passed one by one instead.
 * - `rejectUnauthorized: true` verifies the chain against `ca` ONLY (the CA file
 *   replaces the system roots), and Node's default `checkServerIdentity` verifies the
 *   host name / IP against the certificate SANs (pg sets `servername` for DNS names).
 */
export function buildPoolConfig(db: DatabaseConfig, overrides: Partial<PoolConfig> = {}): PoolConfig {
  return {
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
    ssl: {
      ca: db.ca,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(db.clientCert && db.clientKey ? { cert: db.clientCert, key: db.clientKey } : {}),
    },
    application_name: 'nestflux-api',
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    query_timeout: 10000,
    ...overrides,
  };
}
