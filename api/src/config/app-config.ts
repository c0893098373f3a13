/**
 * The validated, typed configuration of the API. Built once at start-up by
 * `loadConfig()` (see load-config.ts) and handed to Nest through @nestjs/config.
 *
 * It holds secrets (DB password, JWT secret, private keys): never log it.
 */
export interface DatabaseConfig {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** PEM text of the CA that must have signed the server certificate. */
  ca: string;
  caFile: string;
  /** Optional client certificate + key (PEM) for certificate authentication. */
  clientCert?: string;
  clientKey?: string;
}

export interface AppConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  jwt: {
    secret: string;
    /** Access token lifetime in seconds. */
    ttlSeconds: number;
  };
  https: { enabled: false } | { enabled: true; cert: Buffer; key: Buffer };
  /** Value for express' 'trust proxy' setting. */
  trustProxy: false | number | string[];
  /** Allowed CORS origins; empty = CORS disabled. */
  corsOrigins: string[];
  /** The site's own origin (PUBLIC_ORIGIN), e.g. https://app.example.com: allowed to open the websocket. */
  publicOrigin?: string;
  throttle: {
    ttlMs: number;
    limit: number;
    loginLimit: number;
  };
  /** Port of the separate Prometheus listener (METRICS_PORT); undefined serves no metrics. */
  metricsPort?: number;
  /** Largest JSON or form body accepted (CLIENT_MAX_BODY_SIZE), in bytes. */
  bodyLimitBytes: number;
  admin?: { email: string; password: string };
  migrateOnStart: boolean;
}

/** Key under which the AppConfig is stored in @nestjs/config's ConfigService. */
export const APP_CONFIG_KEY = 'app';
