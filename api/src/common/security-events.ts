import { Injectable, Optional } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import type { Request } from 'express';

export type SecurityEvent = 'login_failed' | 'login_succeeded' | 'forbidden' | 'throttled' | 'user_created' | 'token_rejected';

type Field = string | number | boolean | null | undefined | string[];

/** Field names that must never reach a log line, whatever a caller passes. */
const SECRET_FIELD = /pass|secret|token|authorization|cookie|hash|key/i;

/** The path of a request as it may be logged: no query string (it can carry tokens), bounded. */
export function loggedPath(req: Request): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0].slice(0, 200);
}

/** Request facts safe to log: real client IP (after trust proxy), method, path without query. */
export function requestFacts(req: Request): Record<string, Field> {
  return {
    ip: req.ip,
    method: req.method,
    path: loggedPath(req),
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 200) : undefined,
  };
}

/**
 * Security events as structured JSON: exactly one object per line on stdout, for a log
 * shipper to parse. Never include passwords, tokens or secrets: fields whose name looks
 * like one are dropped as a second line of defence.
 */
@Injectable()
export class SecurityEventLogger {
  constructor(@Optional() private readonly metrics?: MetricsService) {}

  log(event: SecurityEvent, fields: Record<string, Field> = {}): void {
    const safe: Record<string, Field> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (v !== undefined && !SECRET_FIELD.test(k)) safe[k] = v;
    }
    const line = JSON.stringify({
      timestamp: new Date().toISOString(),
      level: event === 'login_succeeded' || event === 'user_created' ? 'info' : 'warn',
      type: 'security',
      event,
      ...safe,
    });
    process.stdout.write(`${line}\n`);
    this.metrics?.securityEvents.inc({ event });
  }
}
