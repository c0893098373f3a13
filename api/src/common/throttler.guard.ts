import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { SecurityEventLogger, requestFacts } from './security-events';
import type { AppConfig } from '../config/app-config';

export const LOGIN_THROTTLE = 'nestflux:login-throttle';
/** Marks a route (the login) for the tighter 'login' throttler, on top of 'default'. */
export const LoginThrottle = () => SetMetadata(LOGIN_THROTTLE, true);

/**
 * Two named throttlers: 'default' for every route and 'login' only where @LoginThrottle()
 * is set. Both are keyed on req.ip alone (the guard's default tracker), which is the real client
 * address because express 'trust proxy' only believes X-Forwarded-For from TRUST_PROXY.
 */
export function throttlerOptions(config: AppConfig): ThrottlerModuleOptions {
  return {
    throttlers: [
      { name: 'default', ttl: config.throttle.ttlMs, limit: config.throttle.limit },
      {
        name: 'login',
        ttl: config.throttle.ttlMs,
        limit: config.throttle.loginLimit,
        skipIf: (ctx: ExecutionContext) => Reflect.getMetadata(LOGIN_THROTTLE, ctx.getHandler()) !== true,
      },
    ],
    errorMessage: 'Too many requests',
    // Per client address across all routes, as the proxy counts; the default key also holds
    // the controller and handler, which gave a client a fresh budget on every route.
    generateKey: (_context: ExecutionContext, tracker: string, throttlerName: string) => `${throttlerName}:${tracker}`,
  };
}

/** ThrottlerGuard that also writes a `throttled` security event. */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storageService: ThrottlerStorage,
    reflector: Reflector,
    private readonly events: SecurityEventLogger,
  ) {
    super(options, storageService, reflector);
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const req = context.switchToHttp().getRequest<Request>();
    this.events.log('throttled', { ...requestFacts(req), limit: detail.limit, ttlMs: detail.ttl });
    return super.throwThrottlingException(context, detail);
  }
}
