import { ServiceUnavailableException } from '@nestjs/common';
import * as argon2 from 'argon2';

/**
 * argon2id with OWASP's Password Storage Cheat Sheet parameters (m = 19 MiB, t = 2, p = 1)
 * instead of the library's defaults (64 MiB, t = 3, p = 4): a burst of logins multiplied the
 * defaults' 64 MiB past the container's memory limit. The encoded hash carries its salt and
 * parameters, so hashes made with other parameters keep verifying.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

/** Hashes computed at once; the rest wait their turn, so memory stays bounded under a burst. */
export const MAX_CONCURRENT_HASHES = 2;
/**
 * Hashes that may wait (about 4 s of work at ~60 ms each on two slots). Beyond that a burst is
 * answered 503 with Retry-After at once, instead of queueing work for clients long gone.
 */
export const MAX_WAITING_HASHES = 128;

let running = 0;
const waiting: (() => void)[] = [];

/** Run `work` when fewer than MAX_CONCURRENT_HASHES are running (first come, first served). */
async function bounded<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) {
    if (waiting.length >= MAX_WAITING_HASHES) {
      throw new ServiceUnavailableException('Too many sign-ins at once; retry shortly');
    }
    // The finishing hash hands its slot over: `running` does not change.
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running++;
  }
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  return bounded(() => argon2.hash(password, ARGON2_OPTIONS));
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  return bounded(async () => {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false; // malformed hash: treat as mismatch
    }
  });
}

/** How many hashes are running and waiting (for tests and metrics). */
export function hashingLoad(): { running: number; waiting: number } {
  return { running, waiting: waiting.length };
}
