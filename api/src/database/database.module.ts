import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Pool } from 'pg';
import { APP_CONFIG_KEY, AppConfig } from '../config/app-config';
import { DatabaseService, PG_POOL } from './database.service';
import { buildPoolConfig } from './pg-options';
import { StartupTasksService } from './startup-tasks.service';

@Global()
@Module({
  providers: [
    {
      provide: PG_POOL,
      inject: [ConfigService],
      useFactory: (config: ConfigService): Pool => {
        const app = config.getOrThrow<AppConfig>(APP_CONFIG_KEY);
        const pool = new Pool(buildPoolConfig(app.database));
        const logger = new Logger('PgPool');
        // An idle client can error (server restart, network): log it instead of crashing.
        pool.on('error', (err) => logger.error(`idle client error: ${err.message}`));
        return pool;
      },
    },
    DatabaseService,
    StartupTasksService,
  ],
  exports: [DatabaseService],
})
export class DatabaseModule {}
