import 'reflect-metadata';
import { createApp } from './app.factory';
import { loadConfigOrExit } from './config/config-or-exit';
import { MetricsService } from './metrics/metrics.service';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createApp(config);
  // enableShutdownHooks (in configureApp) turns SIGTERM/SIGINT into app.close(): the HTTP
  // server stops accepting, in-flight requests finish, then the pg pool is ended.
  await app.listen(config.port, config.host);
  if (config.metricsPort !== undefined) await app.get(MetricsService).serve(config.metricsPort, config.host);
  process.stdout.write(
    `${JSON.stringify({
      timestamp: new Date().toISOString(),
      level: 'log',
      message: `listening on ${config.https.enabled ? 'https' : 'http'}://${config.host}:${config.port}`,
    })}\n`,
  );
}

bootstrap().catch((err: Error) => {
  process.stderr.write(
    `${JSON.stringify({ timestamp: new Date().toISOString(), level: 'fatal', message: `startup failed: ${err.message}` })}\n`,
  );
  process.exit(1);
});
