import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { SecurityEventLogger, requestFacts } from '../common/security-events';
import { Role } from '../users/role.enum';
import type { AuthUser } from './auth.constants';
import { ROLES_KEY } from './roles.decorator';

/** RBAC: routes with @Roles(...) require request.user.role to be one of them. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly events: SecurityEventLogger,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required || required.length === 0) return true;
    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const user = req.user;
    if (user && (required as string[]).includes(user.role)) return true;
    this.events.log('forbidden', {
      ...requestFacts(req),
      userId: user?.id,
      role: user?.role,
      requiredRoles: required,
    });
    throw new ForbiddenException();
  }
}
