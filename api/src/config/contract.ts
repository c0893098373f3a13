/**
 * The settings the stack hands the API, and the rules for them: the one definition that both
 * packages read. The stack (../../../components) imports this file; the API validates its
 * environment with it. A stack config key `rateLimitRps` is the environment variable
 * `RATE_LIMIT_RPS`: the same name, spelled for its medium.
 *
 * No imports: the Pulumi program compiles this file too, outside the API's dependencies.
 */

/** Minimum length of the HMAC secret that signs access tokens (256 bits of text). */
export const MIN_JWT_SECRET_LENGTH = 32;

/** Whole-number bounds of a numeric setting. */
export interface IntRule {
  kind: 'int';
  min: number;
  max: number;
}

/** A text setting: `problem` returns what is wrong ("must be …"), or undefined when valid. */
export interface TextRule {
  kind: 'text';
  problem: (value: string) => string | undefined;
}

export interface ApiSetting<T extends number | string> {
  /** The variable the API reads. */
  env: string;
  /** Used when the variable is unset; the stack's default for the same key. */
  default: T;
  rule: T extends number ? IntRule : TextRule;
  description: string;
}

const SIZE = /^([1-9][0-9]{0,9})([kmg]?)$/;
const SIZE_UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
/** Largest body either the proxy or the API will take: a JSON API has no use for more. */
const MAX_BODY_BYTES = 64 * 1024 ** 2;

/** An nginx size (`512k`, `1m`) in bytes, or undefined when it is not one. */
export function sizeBytes(value: string): number | undefined {
  const m = SIZE.exec(value);
  return m ? Number(m[1]) * SIZE_UNIT[m[2]] : undefined;
}

function sizeProblem(value: string): string | undefined {
  const n = sizeBytes(value);
  return n === undefined || n > MAX_BODY_BYTES ? 'must be a size such as 512k, 1m or 10m, at most 64m' : undefined;
}

const TTL = /^([1-9][0-9]{0,5})([smh]?)$/;

/** A token lifetime (`900`, `900s`, `15m`, `1h`) in seconds, or undefined when it is not one. */
export function ttlSeconds(value: string): number | undefined {
  const m = TTL.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
}

function ttlProblem(value: string): string | undefined {
  const s = ttlSeconds(value);
  if (s === undefined) return 'must look like 900, 900s, 15m or 1h';
  // Access tokens are not revocable one by one: they must be short-lived.
  return s > 24 * 3600 ? 'must be at most 24h (access tokens are meant to be short-lived)' : undefined;
}

/** The entries of a comma-separated list, trimmed, empty ones dropped. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function corsOriginsProblem(value: string): string | undefined {
  for (const origin of splitList(value)) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      return `must be a comma-separated list of exact origins (scheme://host[:port], no path or wildcard) such as https://app.example.com; "${origin}" is not one`;
    }
  }
  return undefined;
}

export function jwtSecretProblem(value: string): string | undefined {
  return value.length < MIN_JWT_SECRET_LENGTH ? `must be at least ${MIN_JWT_SECRET_LENGTH} characters` : undefined;
}

const int = (min: number, max: number): IntRule => ({ kind: 'int', min, max });
const text = (problem: TextRule['problem']): TextRule => ({ kind: 'text', problem });

/**
 * Every setting that both the stack and the API act on. The limits are enforced twice, by the
 * proxy per client address and by the API as a backstop for traffic that reaches it another
 * way, from the same values.
 */
export const API_SETTINGS = {
  rateLimitRps: {
    env: 'RATE_LIMIT_RPS',
    default: 10,
    rule: int(1, 100000),
    description: 'Requests per second per client IP on /api/ (the proxy; the API allows the same per minute, plus the burst).',
  } as ApiSetting<number>,
  rateLimitBurst: {
    env: 'RATE_LIMIT_BURST',
    default: 20,
    rule: int(0, 100000),
    description: 'Requests above rateLimitRps a client may send at once before 429.',
  } as ApiSetting<number>,
  authRateLimitRpm: {
    env: 'AUTH_RATE_LIMIT_RPM',
    default: 10,
    rule: int(1, 6000),
    description: 'Requests per minute per client IP on /api/auth/ (the proxy) and login attempts per minute (the API).',
  } as ApiSetting<number>,
  authRateLimitBurst: {
    env: 'AUTH_RATE_LIMIT_BURST',
    default: 5,
    rule: int(0, 1000),
    description: 'Requests above authRateLimitRpm a client may send at once before 429.',
  } as ApiSetting<number>,
  clientMaxBodySize: {
    env: 'CLIENT_MAX_BODY_SIZE',
    default: '1m',
    rule: text(sizeProblem),
    description: 'Largest request body the proxy and the API accept, e.g. 512k or 1m.',
  } as ApiSetting<string>,
  jwtTtl: {
    env: 'JWT_TTL',
    default: '15m',
    rule: text(ttlProblem),
    description: 'Lifetime of an access token: 900, 900s, 15m or 1h; at most 24h.',
  } as ApiSetting<string>,
  corsOrigins: {
    env: 'CORS_ORIGINS',
    default: '',
    rule: text(corsOriginsProblem),
    description: 'Comma-separated origins allowed by the API CORS policy; empty disables CORS.',
  } as ApiSetting<string>,
} as const;

export type ApiSettingKey = keyof typeof API_SETTINGS;
export type ApiSettingValues = { [K in ApiSettingKey]: (typeof API_SETTINGS)[K]['default'] };

/** What is wrong with a value of a shared setting ("must be …"), or undefined. */
export function apiSettingProblem(key: ApiSettingKey, value: number | string): string | undefined {
  const rule = API_SETTINGS[key].rule as IntRule | TextRule;
  if (rule.kind === 'int') {
    const n = value as number;
    return Number.isInteger(n) && n >= rule.min && n <= rule.max ? undefined : `must be a whole number from ${rule.min} to ${rule.max}`;
  }
  return rule.problem(value as string);
}

/** The variables the stack sets for these values. */
export function apiSettingsEnv(values: ApiSettingValues): string[] {
  return (Object.keys(API_SETTINGS) as ApiSettingKey[]).map((k) => `${API_SETTINGS[k].env}=${values[k]}`);
}

/**
 * Read the shared settings from the environment: defaults for unset (or empty) variables, and
 * one issue per bad variable, naming it.
 */
export function readApiSettings(env: Record<string, string | undefined>): { values: ApiSettingValues; issues: string[] } {
  const issues: string[] = [];
  const values = {} as Record<ApiSettingKey, number | string>;
  for (const key of Object.keys(API_SETTINGS) as ApiSettingKey[]) {
    const s = API_SETTINGS[key];
    const raw = env[s.env];
    if (raw === undefined || (raw === '' && s.default !== '')) {
      values[key] = s.default;
      continue;
    }
    const value = typeof s.default === 'number' ? (/^[0-9]{1,9}$/.test(raw) ? Number(raw) : NaN) : raw;
    const problem = apiSettingProblem(key, value);
    if (problem !== undefined) issues.push(`${s.env} ${problem}`);
    values[key] = value;
  }
  return { values: values as ApiSettingValues, issues };
}
