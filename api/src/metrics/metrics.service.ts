import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Server } from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { listenMetrics } from './metrics.server';

/**
 * Prometheus metrics of one app instance, in its own registry (several apps may share a process
 * in tests). Served on METRICS_PORT by a separate listener that the public proxy never routes to.
 */
@Injectable()
export class MetricsService implements OnApplicationShutdown {
  private server?: Server;
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'nestflux_http_requests_total',
    help: 'HTTP requests answered, by method, matched route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'nestflux_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and matched route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly securityEvents = new Counter({
    name: 'nestflux_security_events_total',
    help: 'Security events logged, by event (login_failed, token_rejected, forbidden, throttled, …).',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nestflux_api_' });
  }

  /** Serve GET /metrics on its own listener until the app shuts down; returns the bound port. */
  async serve(port: number, host: string): Promise<number> {
    this.server = await listenMetrics(this, port, host);
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
