import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { requestFacts } from '../common/security-events';
import { LoginThrottle } from '../common/throttler.guard';
import { AuthService, LoginResult } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { Public } from './public.decorator';

@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Exchange e-mail + password for a short-lived bearer access token. */
  @Public()
  @LoginThrottle()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  login(@Body() dto: LoginDto, @Req() req: Request): Promise<LoginResult> {
    const { ip, method, path, userAgent } = requestFacts(req) as Record<string, string | undefined>;
    return this.auth.login(dto.email, dto.password, { ip, method, path, userAgent });
  }
}
