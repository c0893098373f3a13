import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool, QueryResultRow } from 'pg';

export const PG_POOL = Symbol('PG_POOL');

/**
 * Thin wrapper over the node-postgres pool. Every query goes through `query(text,
 * params)`: the text is a constant with $1..$n placeholders and the values travel
 * separately (extended protocol), so user input is never spliced into SQL.
 */
@Injectable()
export class DatabaseService implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async query<T extends QueryResultRow>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.pool.query<T>(text, params as unknown[]);
    return result.rows;
  }

  /** Readiness probe: one round trip, bounded in time. */
  async ping(timeoutMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`database ping timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.pool.query('SELECT 1'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  getPool(): Pool {
    return this.pool;
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log(`closing PostgreSQL pool${signal ? ` (${signal})` : ''}`);
    await this.pool.end();
  }
}
