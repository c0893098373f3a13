import * as argon2 from 'argon2';

// The real argon2, with hash() counted on its way in and out: what reaches the library.
const mockArgon2Load = { inFlight: 0, peak: 0 };
jest.mock('argon2', () => {
  const real = jest.requireActual('argon2');
  return {
    ...real,
    hash: async (...args: unknown[]) => {
      mockArgon2Load.peak = Math.max(mockArgon2Load.peak, ++mockArgon2Load.inFlight);
      try {
        return await real.hash(...args);
      } finally {
        mockArgon2Load.inFlight--;
      }
    },
  };
});
import { ServiceUnavailableException } from '@nestjs/common';
import { ARGON2_OPTIONS, hashingLoad, hashPassword, MAX_CONCURRENT_HASHES, MAX_WAITING_HASHES, verifyPassword } from '../../src/auth/password';

describe('password hashing', () => {
  it("hashes with OWASP's argon2id parameters: m=19 MiB, t=2, p=1", async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(ARGON2_OPTIONS.memoryCost).toBe(19456);
    await expect(verifyPassword(hash, 'correct horse battery staple')).resolves.toBe(true);
    await expect(verifyPassword(hash, 'wrong')).resolves.toBe(false);
  });

  it("existing hashes made with the library's defaults keep verifying", async () => {
    const old = await argon2.hash('an older password', { type: argon2.argon2id });
    expect(old).toMatch(/m=65536,t=3,p=4/);
    await expect(verifyPassword(old, 'an older password')).resolves.toBe(true);
  });

  it('never has more than MAX_CONCURRENT_HASHES argon2 calls in flight, and every caller gets its answer', async () => {
    mockArgon2Load.peak = 0;
    const hashes = await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword(`password number ${i}`)));
    expect(mockArgon2Load.peak).toBe(MAX_CONCURRENT_HASHES);
    expect(hashingLoad()).toEqual({ running: 0, waiting: 0 });
    const checks = await Promise.all(hashes.map((h, i) => verifyPassword(h, `password number ${i}`)));
    expect(checks).toEqual(Array(8).fill(true));
  });

  it('beyond MAX_WAITING_HASHES waiting, a hash is refused at once with 503 instead of queueing', async () => {
    const burst = Array.from({ length: MAX_CONCURRENT_HASHES + MAX_WAITING_HASHES + 3 }, (_, i) =>
      hashPassword(`burst password ${i}`).then(
        () => 'hashed',
        (e: unknown) => (e instanceof ServiceUnavailableException ? 'refused' : `other: ${String(e)}`),
      ),
    );
    const outcomes = await Promise.all(burst);
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'hashed')).toHaveLength(MAX_CONCURRENT_HASHES + MAX_WAITING_HASHES);
    expect(hashingLoad()).toEqual({ running: 0, waiting: 0 });
  }, 60_000);

  it('a malformed hash is a mismatch, not an error', async () => {
    await expect(verifyPassword('not-a-hash', 'x')).resolves.toBe(false);
    expect(hashingLoad()).toEqual({ running: 0, waiting: 0 });
  });
});
