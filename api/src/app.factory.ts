import { ConsoleLogger, INestApplication, LoggerService, LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { HttpsOptions } from '@nestjs/common/interfaces/external/https-options.interface';
import type { ServerOptions } from 'node:https';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WsAdapter } from '@nestjs/platform-ws';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { helmetOptions } from './config/helmet-options';
import { requestMetrics } from './metrics/metrics.server';
import { MetricsService } from './metrics/metrics.service';
import { clientErrorHandler, requireJsonBodies } from './common/client-error.handler';
import { checkJsonShape } from './common/json-shape';

export interface CreateAppOptions {
  logger?: LoggerService | LogLevel[] | false;
}

/** Build the Nest application (not yet listening) with every security setting applied. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: options.logger ?? new ConsoleLogger({ json: true }),
    httpsOptions: config.https.enabled ? httpsServerOptions(config.https.cert, config.https.key) : undefined,
    // Cookies are not used: bearer tokens only.
    cors: false,
  });
  configureApp(app, config);
  return app;
}

/** Node's https.createServer options; Nest passes them through (its type omits minVersion). */
function httpsServerOptions(cert: Buffer, key: Buffer): HttpsOptions {
  const options: ServerOptions = { cert, key, minVersion: 'TLSv1.2' };
  return options as HttpsOptions;
}

export function configureApp(app: NestExpressApplication, config: AppConfig): INestApplication {
  // Only X-Forwarded-For written by the configured proxy is believed; req.ip is then the
  // real client address (used by the throttler and the security log).
  app.set('trust proxy', config.trustProxy);
  // First, so every answer is counted, refusals included.
  app.use(requestMetrics(app.get(MetricsService)));
  // Registered before init, this replaces Nest's default parsers (100 kB): the limit is the
  // stack's clientMaxBodySize, the same one the proxy enforces.
  // JSON only: no route takes a form, and an unparsed form body cannot smuggle a NUL past the
  // shape check.
  app.useBodyParser('json', {
    limit: config.bodyLimitBytes,
    verify: (_req: unknown, _res: unknown, buf: Buffer, encoding: string) => checkJsonShape(buf, encoding),
  });
  app.use(clientErrorHandler);
  app.use(requireJsonBodies);
  app.use(helmet(helmetOptions()));
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      credentials: false,
      maxAge: 600,
    });
  }
  app.setGlobalPrefix('api');
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
    }),
  );
  app.useWebSocketAdapter(new WsAdapter(app));
  app.enableShutdownHooks();
  return app;
}
