import type { Pool } from 'pg';

export interface Migration {
  id: string;
  sql: string;
}

/**
 * Schema migrations, applied in order, each once, each in its own transaction.
 * Static SQL only. Append new entries; never edit an applied one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: '001_users_and_notes',
    sql: `
      CREATE TABLE users (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email         text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) <= 254),
        password_hash text NOT NULL,
        role          text NOT NULL CHECK (role IN ('admin', 'user')),
        created_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE notes (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        body       text NOT NULL DEFAULT '' CHECK (length(body) <= 10000),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX notes_owner_created_idx ON notes (owner_id, created_at DESC);
    `,
  },
];

/** Arbitrary constant: serialises migration runs of several replicas starting at once. */
const MIGRATION_LOCK_KEY = 727_274_001;

/** Apply pending migrations. Returns the ids applied by this call. */
export async function runMigrations(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = await client.query<{ id: string }>('SELECT id FROM schema_migrations');
      const doneIds = new Set(done.rows.map((r) => r.id));
      for (const m of migrations) {
        if (doneIds.has(m.id)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
          await client.query('COMMIT');
          applied.push(m.id);
        } catch (e) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${m.id} failed: ${(e as Error).message}`);
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return applied;
}
