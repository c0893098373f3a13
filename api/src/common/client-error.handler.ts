import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

interface HttpError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
  message?: unknown;
}

/** A 4xx raised by body-parser (http-errors): the client's fault, not ours. */
export function clientStatus(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const status = (e as HttpError).status ?? (e as HttpError).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 && (e as HttpError).expose === true ? status : undefined;
}

const logger = new Logger('ClientError');

/**
 * Express error middleware, registered right after the body parsers. Their failures (413, 415,
 * bad JSON, bad gzip, refused shapes) never reach Nest's router: without this, Express' final
 * handler answers them and prints a full stack trace to stderr as if the server had failed.
 * They are answered with their status as JSON and logged as one warn line, without a stack.
 */
export function clientErrorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
  const status = clientStatus(err);
  if (status === undefined) {
    next(err);
    return;
  }
  const e = err as HttpError;
  const message = typeof e.message === 'string' ? e.message.slice(0, 200) : 'Bad request';
  logger.warn(`${status} ${String(e.type ?? 'client_error')} ${req.method} ${(req.originalUrl ?? req.url).split('?')[0].slice(0, 200)}: ${message}`);
  if (res.headersSent) return;
  res.status(status).json({ statusCode: status, message });
}
