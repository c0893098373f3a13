import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_CONFIG_KEY, AppConfig } from '../config/app-config';
import { ensureAdmin } from '../users/admin-seed';
import { DatabaseService } from './database.service';
import { runMigrations } from './migrations';

/** MIGRATE_ON_START and the initial admin, before the server starts listening. */
@Injectable()
export class StartupTasksService implements OnApplicationBootstrap {
  private readonly logger = new Logger(StartupTasksService.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly config: ConfigService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const app = this.config.getOrThrow<AppConfig>(APP_CONFIG_KEY);
    if (app.migrateOnStart) {
      const applied = await runMigrations(this.db.getPool());
      this.logger.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'schema up to date');
    }
    if (app.admin) {
      const created = await ensureAdmin(this.db.getPool(), app.admin.email, app.admin.password);
      this.logger.log(created ? 'initial admin created' : 'initial admin already present');
    }
  }
}
