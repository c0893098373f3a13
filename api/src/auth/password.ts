import * as argon2 from 'argon2';

/**
 * Password hashing with argon2id (the library's default type; OWASP's first choice).
 * The encoded hash carries its own salt and parameters.
 */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false; // malformed hash: treat as mismatch
  }
}
