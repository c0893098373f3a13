import { Pool } from 'pg';
import { loadConfigOrExit } from './config/config-or-exit';
import { runMigrations } from './database/migrations';
import { buildPoolConfig } from './database/pg-options';
import { ensureAdmin } from './users/admin-seed';

/** `npm run migrate` / `node dist/migrate.js`: apply pending migrations, seed the admin, exit. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env, { purpose: 'migration' });
  const pool = new Pool(buildPoolConfig(config.database, { max: 1 }));
  try {
    const applied = await runMigrations(pool);
    const log = (message: string) =>
      process.stdout.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level: 'log', message })}\n`);
    log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema up to date');
    if (config.admin) {
      log((await ensureAdmin(pool, config.admin.email, config.admin.password)) ? 'initial admin created' : 'initial admin already present');
    }
  } finally {
    await pool.end();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', message: `migration failed: ${err.message}` })}\n`);
  process.exit(1);
});
