import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';
import { SecurityEventLogger, requestFacts } from '../common/security-events';
import { UsersService } from '../users/users.service';
import { AuthUser, JWT_AUDIENCE, JWT_ISSUER, JwtPayload } from './auth.constants';
import { IS_PUBLIC_KEY } from './public.decorator';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a presented token was refused: logged, never shown to the client. */
export type TokenRejection = 'invalid' | 'claims' | 'unknown_user';

/** The claims a token must carry, with the shapes we issue; anything else is refused. */
export function claimsProblem(p: Partial<JwtPayload> & { exp?: unknown }): boolean {
  // jsonwebtoken accepts a token without `exp` as never expiring: we never issue one.
  return typeof p.exp !== 'number' || typeof p.sub !== 'string' || !UUID.test(p.sub);
}

/**
 * Global guard: every route needs `Authorization: Bearer <access token>` unless it is
 * marked @Public(). Tokens travel in a header, never in a cookie, so browsers do not
 * attach them on their own and there is no CSRF surface. The token only says who the
 * caller is: the user's existence and role are read from the database on every request,
 * so a deleted user is refused and a changed role applies at once.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    private readonly reflector: Reflector,
    private readonly users: UsersService,
    private readonly events: SecurityEventLogger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;

    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const token = extractBearer(req.headers.authorization);
    if (!token) throw new UnauthorizedException();
    const result = await authenticateToken(this.jwt, this.users, token);
    if ('rejected' in result) {
      this.events.log('token_rejected', { ...requestFacts(req), reason: result.rejected });
      throw new UnauthorizedException();
    }
    req.user = result.user;
    return true;
  }
}

/** The current user a token names, or why it is refused: shared by the HTTP guard and the websocket. */
export async function authenticateToken(
  jwt: JwtService,
  users: Pick<UsersService, 'findById'>,
  token: string,
): Promise<{ user: AuthUser; expiresAt: number } | { rejected: TokenRejection }> {
  let payload: JwtPayload & { exp?: unknown };
  try {
    payload = await jwt.verifyAsync<JwtPayload>(token, { algorithms: ['HS256'], issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
  } catch {
    return { rejected: 'invalid' };
  }
  if (claimsProblem(payload)) return { rejected: 'claims' };
  const user = await users.findById(payload.sub);
  if (!user) return { rejected: 'unknown_user' };
  return { user: { id: user.id, email: user.email, role: user.role }, expiresAt: (payload.exp as number) * 1000 };
}

export function extractBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, token, ...rest] = header.split(' ');
  if (rest.length > 0 || scheme?.toLowerCase() !== 'bearer' || !token) return undefined;
  return token;
}
