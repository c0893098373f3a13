import type { Pool } from 'pg';
import { hashPassword } from '../auth/password';
import { Role } from './role.enum';

/**
 * Create the initial admin (ADMIN_EMAIL + ADMIN_PASSWORD_FILE) if no user has that
 * e-mail yet. Idempotent: an existing account is left untouched (its password is not
 * reset), so re-running migrations or restarting never changes it.
 * Returns true when the admin was created by this call.
 */
export async function ensureAdmin(pool: Pool, email: string, password: string): Promise<boolean> {
  const hash = await hashPassword(password);
  const result = await pool.query(
    'INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING',
    [email.toLowerCase(), hash, Role.Admin],
  );
  return result.rowCount === 1;
}
