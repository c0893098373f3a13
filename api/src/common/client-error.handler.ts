import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { loggedPath } from './security-events';

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

const CLIENT_MESSAGES: Record<number, string> = {
  400: 'Malformed request body',
  413: 'Request body too large',
  415: 'Unsupported body encoding',
};

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
  const type = typeof e.type === 'string' ? e.type : 'client_error';
  // A JSON parse error quotes the body (passwords included): neither the log nor the answer
  // repeats it. Our own shape refusals carry fixed texts.
  const message = type === 'entity.shape.refused' && typeof e.message === 'string' ? e.message : CLIENT_MESSAGES[status] ?? 'Bad request';
  logger.warn(`${status} ${type} ${req.method} ${loggedPath(req)}`);
  if (res.headersSent) return;
  res.status(status).json({ statusCode: status, message });
}

/**
 * A JSON API: a request that carries a body of another type is answered 415 here. Left through,
 * such a body would be unparsed and `@Body()` undefined, which validation cannot describe.
 */
export function requireJsonBodies(req: Request, res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || req.is('application/json')) {
    next();
    return;
  }
  logger.warn(`415 content_type ${req.method} ${loggedPath(req)}`);
  res.status(415).json({ statusCode: 415, message: 'Request bodies must be application/json' });
}
