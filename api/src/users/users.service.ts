import { ConflictException, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { hashPassword } from '../auth/password';
import { PageQuery } from '../common/dto/page.dto';
import { Role } from './role.enum';

export interface PublicUser {
  id: string;
  email: string;
  role: Role;
  createdAt: Date;
}

export interface UserWithHash extends PublicUser {
  passwordHash: string;
}

/** Postgres unique_violation. */
const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(private readonly db: DatabaseService) {}

  async findByEmailWithHash(email: string): Promise<UserWithHash | undefined> {
    const rows = await this.db.query<UserWithHash>(
      'SELECT id, email, role, created_at AS "createdAt", password_hash AS "passwordHash" FROM users WHERE email = $1',
      [email],
    );
    return rows[0];
  }

  async findById(id: string): Promise<PublicUser | undefined> {
    const rows = await this.db.query<PublicUser>('SELECT id, email, role, created_at AS "createdAt" FROM users WHERE id = $1', [id]);
    return rows[0];
  }

  findAll(page: PageQuery): Promise<PublicUser[]> {
    return this.db.query<PublicUser>('SELECT id, email, role, created_at AS "createdAt" FROM users ORDER BY created_at, email LIMIT $1 OFFSET $2', [
      page.limit,
      page.offset,
    ]);
  }

  async create(email: string, password: string, role: Role): Promise<PublicUser> {
    const hash = await hashPassword(password);
    try {
      const rows = await this.db.query<PublicUser>(
        'INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3) RETURNING id, email, role, created_at AS "createdAt"',
        [email, hash, role],
      );
      return rows[0];
    } catch (e) {
      if ((e as { code?: string }).code === UNIQUE_VIOLATION) throw new ConflictException('User already exists');
      throw e;
    }
  }
}
