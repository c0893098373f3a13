import { ExecutionContext, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { JWT_AUDIENCE, JWT_ISSUER } from '../../src/auth/auth.constants';
import { JwtAuthGuard, extractBearer } from '../../src/auth/jwt-auth.guard';
import { Public } from '../../src/auth/public.decorator';
import { Roles } from '../../src/auth/roles.decorator';
import { RolesGuard } from '../../src/auth/roles.guard';
import { SecurityEventLogger } from '../../src/common/security-events';
import { Role } from '../../src/users/role.enum';

class Ctl {
  @Roles(Role.Admin)
  adminOnly(): void {}
  open(): void {}
  @Public()
  pub(): void {}
}

function ctx(handler: () => void, req: Record<string, unknown>): ExecutionContext {
  return {
    getHandler: () => handler,
    getClass: () => Ctl,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

const req = (user?: { id: string; role: string }, headers: Record<string, string> = {}) => ({
  user,
  headers,
  ip: '198.51.100.7',
  method: 'GET',
  originalUrl: '/api/users?x=1',
});

describe('RolesGuard', () => {
  const events = { log: jest.fn() } as unknown as SecurityEventLogger & { log: jest.Mock };
  const guard = new RolesGuard(new Reflector(), events);
  beforeEach(() => events.log.mockClear());

  it('lets routes without @Roles through', () => {
    expect(guard.canActivate(ctx(Ctl.prototype.open, req({ id: 'u', role: 'user' })))).toBe(true);
  });

  it('allows the required role', () => {
    expect(guard.canActivate(ctx(Ctl.prototype.adminOnly, req({ id: 'a', role: 'admin' })))).toBe(true);
    expect(events.log).not.toHaveBeenCalled();
  });

  it('denies another role with 403 and logs a forbidden event', () => {
    expect(() => guard.canActivate(ctx(Ctl.prototype.adminOnly, req({ id: 'u1', role: 'user' })))).toThrow(ForbiddenException);
    expect(events.log).toHaveBeenCalledWith(
      'forbidden',
      expect.objectContaining({ userId: 'u1', role: 'user', requiredRoles: ['admin'], ip: '198.51.100.7', path: '/api/users' }),
    );
  });

  it('denies when there is no user at all', () => {
    expect(() => guard.canActivate(ctx(Ctl.prototype.adminOnly, req()))).toThrow(ForbiddenException);
  });
});

describe('JwtAuthGuard', () => {
  const secret = 's'.repeat(32);
  const jwt = new JwtService({ secret, signOptions: { issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 } });
  const id = '6f1c2a4e-8d0b-4c1e-9a57-3b2d1e0f4a61';
  // The users table as the guard reads it: only this user exists, now an admin.
  const users = { findById: async (q: string) => (q === id ? { id, email: 'a@b.c', role: 'admin', createdAt: new Date(0) } : undefined) };
  const logged: Record<string, unknown>[] = [];
  const events = { log: (event: string, fields: Record<string, unknown>) => logged.push({ event, ...fields }) };
  const guard = new JwtAuthGuard(jwt, new Reflector(), users as never, events as never);
  const payload = { sub: id, email: 'a@b.c', role: 'user' };

  it('extracts only well-formed bearer headers', () => {
    expect(extractBearer('Bearer abc')).toBe('abc');
    expect(extractBearer('bearer abc')).toBe('abc');
    expect(extractBearer('Basic abc')).toBeUndefined();
    expect(extractBearer('Bearer')).toBeUndefined();
    expect(extractBearer('Bearer a b')).toBeUndefined();
    expect(extractBearer(undefined)).toBeUndefined();
  });

  it('lets @Public() routes through without a token', async () => {
    await expect(guard.canActivate(ctx(Ctl.prototype.pub, req()))).resolves.toBe(true);
  });

  it('accepts a valid token and sets request.user from the database, not from the token', async () => {
    const token = await jwt.signAsync(payload);
    const r = req(undefined, { authorization: `Bearer ${token}` });
    await expect(guard.canActivate(ctx(Ctl.prototype.open, r))).resolves.toBe(true);
    expect(r.user).toEqual({ id, email: 'a@b.c', role: 'admin' });
  });

  it('logs every refused token as token_rejected with the reason, never the token', async () => {
    logged.length = 0;
    const token = await jwt.signAsync({ ...payload, sub: '0b7e1f00-0000-4000-8000-000000000000' });
    await expect(guard.canActivate(ctx(Ctl.prototype.open, req(undefined, { authorization: `Bearer ${token}` })))).rejects.toBeInstanceOf(
      UnauthorizedException,
    );
    expect(logged).toEqual([expect.objectContaining({ event: 'token_rejected', reason: 'unknown_user' })]);
    expect(JSON.stringify(logged)).not.toContain(token);
  });

  it.each([
    ['no header', async () => undefined],
    ['another secret', async () => new JwtService({ secret: 'o'.repeat(32) }).signAsync(payload, { issuer: JWT_ISSUER, audience: JWT_AUDIENCE })],
    ['expired', async () => jwt.signAsync(payload, { expiresIn: -10 })],
    ['wrong audience', async () => jwt.signAsync(payload, { audience: 'someone-else' })],
    ['a user that does not exist', async () => jwt.signAsync({ ...payload, sub: '0b7e1f00-0000-4000-8000-000000000000' })],
    ['a sub that is not a UUID', async () => jwt.signAsync({ ...payload, sub: "1' OR '1'='1" })],
    ['no exp (the right secret, but it would never expire)', async () => new JwtService({ secret }).signAsync(payload, { issuer: JWT_ISSUER, audience: JWT_AUDIENCE })],
    [
      'alg none',
      async () => {
        const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...payload, iss: JWT_ISSUER, aud: JWT_AUDIENCE, exp: now + 60 })}.`;
      },
    ],
  ])('rejects %s with 401', async (_name, make) => {
    const token = await make();
    const r = req(undefined, token ? { authorization: `Bearer ${token}` } : {});
    await expect(guard.canActivate(ctx(Ctl.prototype.open, r))).rejects.toBeInstanceOf(UnauthorizedException);
  });
});
