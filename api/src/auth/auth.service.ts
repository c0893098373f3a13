import { Injectable, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG_KEY, AppConfig } from '../config/app-config';
import { SecurityEventLogger } from '../common/security-events';
import { UsersService } from '../users/users.service';
import { JwtPayload } from './auth.constants';
import { hashPassword, verifyPassword } from './password';

export interface LoginResult {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

@Injectable()
export class AuthService implements OnModuleInit {
  /** Verified against when the e-mail is unknown, so both failures cost the same time. */
  private dummyHash = '';
  private readonly ttlSeconds: number;

  constructor(
    private readonly users: UsersService,
    private readonly jwt: JwtService,
    private readonly events: SecurityEventLogger,
    config: ConfigService,
  ) {
    this.ttlSeconds = config.getOrThrow<AppConfig>(APP_CONFIG_KEY).jwt.ttlSeconds;
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await hashPassword(randomBytes(24).toString('base64'));
  }

  async login(email: string, password: string, facts: Record<string, string | undefined>): Promise<LoginResult> {
    const user = await this.users.findByEmailWithHash(email);
    const ok = await verifyPassword(user?.passwordHash ?? this.dummyHash, password);
    if (!user || !ok) {
      this.events.log('login_failed', { ...facts, email, reason: user ? 'bad_password' : 'unknown_user' });
      // Same answer either way: do not reveal which e-mails exist.
      throw new UnauthorizedException('Invalid credentials');
    }
    const payload: JwtPayload = { sub: user.id, email: user.email, role: user.role };
    const accessToken = await this.jwt.signAsync(payload);
    this.events.log('login_succeeded', { ...facts, userId: user.id });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.ttlSeconds };
  }
}
