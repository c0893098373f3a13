import { Injectable, NotFoundException } from '@nestjs/common';
import { PageQuery } from '../common/dto/page.dto';
import { DatabaseService } from '../database/database.service';

export interface Note {
  id: string;
  title: string;
  body: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Ownership is enforced in SQL: every statement filters on owner_id = the caller, so a
 * note of someone else is indistinguishable from a missing one (404, no existence leak).
 */
@Injectable()
export class NotesService {
  constructor(private readonly db: DatabaseService) {}

  findAll(ownerId: string, page: PageQuery): Promise<Note[]> {
    return this.db.query<Note>(
      'SELECT id, title, body, created_at AS "createdAt", updated_at AS "updatedAt" FROM notes WHERE owner_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3',
      [ownerId, page.limit, page.offset],
    );
  }

  async findOne(ownerId: string, id: string): Promise<Note> {
    const rows = await this.db.query<Note>(
      'SELECT id, title, body, created_at AS "createdAt", updated_at AS "updatedAt" FROM notes WHERE id = $1 AND owner_id = $2',
      [id, ownerId],
    );
    if (!rows[0]) throw new NotFoundException();
    return rows[0];
  }

  async create(ownerId: string, title: string, body = ''): Promise<Note> {
    const rows = await this.db.query<Note>(
      'INSERT INTO notes (owner_id, title, body) VALUES ($1, $2, $3) RETURNING id, title, body, created_at AS "createdAt", updated_at AS "updatedAt"',
      [ownerId, title, body],
    );
    return rows[0];
  }

  async update(ownerId: string, id: string, title?: string, body?: string): Promise<Note> {
    // COALESCE keeps the column when the field was not sent: one fixed statement, no SQL building.
    const rows = await this.db.query<Note>(
      `UPDATE notes SET title = COALESCE($3, title), body = COALESCE($4, body), updated_at = now()
        WHERE id = $1 AND owner_id = $2
        RETURNING id, title, body, created_at AS "createdAt", updated_at AS "updatedAt"`,
      [id, ownerId, title ?? null, body ?? null],
    );
    if (!rows[0]) throw new NotFoundException();
    return rows[0];
  }

  async remove(ownerId: string, id: string): Promise<void> {
    const rows = await this.db.query<{ id: string }>('DELETE FROM notes WHERE id = $1 AND owner_id = $2 RETURNING id', [
      id,
      ownerId,
    ]);
    if (!rows[0]) throw new NotFoundException();
  }
}
