import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { AppConfig } from './app-config';
import { ENV_KEYS, EnvironmentVariables } from './env.validation';
import { passwordProblem } from '../users/password-policy';
import { readApiSettings, sizeBytes, splitList, ttlSeconds } from './contract';
import { ParseError, parseDatabaseUrl, parseTrustProxy } from './parsers';

/** Thrown when the environment is invalid. `message` names every offending variable. */
export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Secrets that may come from a file: NAME_FILE wins over NAME when both are set. */
const FILE_BACKED = ['DATABASE_URL', 'JWT_SECRET'] as const;

/** Read a secret file, dropping one trailing newline (editors and `echo` add one). */
function readSecretFile(path: string): string {
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
}

function readPem(variable: string, path: string, issues: string[], marker: RegExp): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    issues.push(`${variable}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
  if (!marker.test(text)) {
    issues.push(`${variable}: ${path} does not contain a PEM ${marker.source.replace(/\\/g, '')}`);
    return undefined;
  }
  return text;
}

const CERT = /-----BEGIN CERTIFICATE-----/;
const KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => Object.values(e.constraints ?? {}));
}

/**
 * Validate the environment and build the typed AppConfig. Collects every problem
 * before failing, so one start tells the operator everything that is wrong.
 */
export interface LoadOptions {
  /**
   * 'migration': the one-shot schema job (dist/migrate.js). It signs no tokens, so it is not
   * given the JWT secret and must not need it. Default: 'server'.
   */
  purpose?: 'server' | 'migration';
}

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): AppConfig {
  const purpose = options.purpose ?? 'server';
  const issues: string[] = [];
  // 1. Only the contract's variables; empty strings count as unset.
  const plain: Env = {};
  for (const key of ENV_KEYS) {
    const v = env[key];
    if (v !== undefined && v !== '') plain[key] = v;
  }
  // 2. *_FILE secrets.
  for (const name of FILE_BACKED) {
    const file = env[`${name}_FILE`];
    if (file) {
      try {
        plain[name] = readSecretFile(file);
      } catch (e) {
        issues.push(`${name}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        delete plain[name];
      }
    }
  }
  // 3. class-validator over the variables.
  const vars = plainToInstance(EnvironmentVariables, plain, { enableImplicitConversion: false });
  const errors = validateSync(vars, { skipMissingProperties: false });
  issues.push(...flatten(purpose === 'migration' ? errors.filter((e) => e.property !== 'JWT_SECRET') : errors));

  // 4. Files and structured values.
  const tryParse = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ParseError) {
        issues.push(e.message);
        return undefined;
      }
      throw e;
    }
  };
  const db = vars.DATABASE_URL ? tryParse(() => parseDatabaseUrl(vars.DATABASE_URL)) : undefined;
  const ca = vars.DATABASE_CA_FILE ? readPem('DATABASE_CA_FILE', vars.DATABASE_CA_FILE, issues, CERT) : undefined;

  let clientCert: string | undefined;
  let clientKey: string | undefined;
  if (!!vars.DATABASE_CLIENT_CERT_FILE !== !!vars.DATABASE_CLIENT_KEY_FILE) {
    issues.push('DATABASE_CLIENT_CERT_FILE and DATABASE_CLIENT_KEY_FILE must be set together (or neither)');
  } else if (vars.DATABASE_CLIENT_CERT_FILE && vars.DATABASE_CLIENT_KEY_FILE) {
    clientCert = readPem('DATABASE_CLIENT_CERT_FILE', vars.DATABASE_CLIENT_CERT_FILE, issues, CERT);
    clientKey = readPem('DATABASE_CLIENT_KEY_FILE', vars.DATABASE_CLIENT_KEY_FILE, issues, KEY);
  }

  let https: AppConfig['https'] = { enabled: false };
  if (vars.HTTPS === 'true' && vars.HTTPS_CERT_FILE && vars.HTTPS_KEY_FILE) {
    const cert = readPem('HTTPS_CERT_FILE', vars.HTTPS_CERT_FILE, issues, CERT);
    const key = readPem('HTTPS_KEY_FILE', vars.HTTPS_KEY_FILE, issues, KEY);
    if (cert && key) https = { enabled: true, cert: Buffer.from(cert), key: Buffer.from(key) };
  }

  const trustProxy = tryParse(() => parseTrustProxy(vars.TRUST_PROXY));
  if (vars.METRICS_PORT !== undefined && vars.METRICS_PORT === vars.PORT) issues.push('METRICS_PORT must differ from PORT');
  const shared = readApiSettings(env);
  issues.push(...shared.issues);

  let admin: AppConfig['admin'];
  if (vars.ADMIN_EMAIL && vars.ADMIN_PASSWORD_FILE) {
    try {
      const password = readSecretFile(vars.ADMIN_PASSWORD_FILE);
      const problem = passwordProblem(password);
      if (problem !== undefined) {
        issues.push(`ADMIN_PASSWORD_FILE: the ${problem}`);
      } else {
        admin = { email: vars.ADMIN_EMAIL.toLowerCase(), password };
      }
    } catch (e) {
      issues.push(`ADMIN_PASSWORD_FILE: cannot read ${vars.ADMIN_PASSWORD_FILE} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  if (issues.length > 0 || !db || !ca || trustProxy === undefined) {
    throw new ConfigError(issues.length > 0 ? issues : ['unknown configuration error']);
  }

  return {
    port: vars.PORT,
    host: vars.HOST,
    database: { ...db, ca, caFile: vars.DATABASE_CA_FILE, clientCert, clientKey },
    jwt: { secret: vars.JWT_SECRET ?? '', ttlSeconds: ttlSeconds(shared.values.jwtTtl)! },
    https,
    trustProxy,
    corsOrigins: splitList(shared.values.corsOrigins),
    publicOrigin: vars.PUBLIC_ORIGIN,
    metricsPort: vars.METRICS_PORT,
    // Per client and minute, the same budget the proxy's leaky buckets allow: a backstop that
    // only bites for traffic which did not come through the proxy's limits.
    throttle: {
      ttlMs: 60_000,
      limit: shared.values.rateLimitRps * 60 + shared.values.rateLimitBurst,
      loginLimit: shared.values.authRateLimitRpm + shared.values.authRateLimitBurst,
    },
    bodyLimitBytes: sizeBytes(shared.values.clientMaxBodySize)!,
    admin,
    migrateOnStart: vars.MIGRATE_ON_START === 'true',
  };
}
