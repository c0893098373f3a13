import { createServer, Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { MetricsService } from './metrics.service';

/** Express middleware: counts and times every answered request under its matched route. */
export function requestMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const stop = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      // The route pattern (/api/notes/:id), never the raw path: ids would explode the label set.
      const route = req.route?.path ? `${req.baseUrl ?? ''}${String(req.route.path)}` : 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      stop({ method: req.method, route });
    });
    next();
  };
}

/**
 * GET /metrics on its own port: Prometheus scrapes the replica directly on the internal network,
 * and the public proxy, which only forwards /api/ to the app port, never serves it.
 */
export async function listenMetrics(metrics: MetricsService, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
