import { Body, Controller, Get, NotFoundException, Post, Query, Req } from '@nestjs/common';
import { PageQuery } from '../common/dto/page.dto';
import type { Request } from 'express';
import { AuthUser } from '../auth/auth.constants';
import { CurrentUser } from '../auth/current-user.decorator';
import { Roles } from '../auth/roles.decorator';
import { SecurityEventLogger, requestFacts } from '../common/security-events';
import { CreateUserDto } from './dto/create-user.dto';
import { Role } from './role.enum';
import { PublicUser, UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly events: SecurityEventLogger,
  ) {}

  /** Any authenticated user: their own profile. */
  @Get('me')
  async me(@CurrentUser() user: AuthUser): Promise<PublicUser> {
    const found = await this.users.findById(user.id);
    if (!found) throw new NotFoundException();
    return found;
  }

  @Roles(Role.Admin)
  @Get()
  findAll(@Query() page: PageQuery): Promise<PublicUser[]> {
    return this.users.findAll(page);
  }

  @Roles(Role.Admin)
  @Post()
  async create(@Body() dto: CreateUserDto, @CurrentUser() admin: AuthUser, @Req() req: Request): Promise<PublicUser> {
    const user = await this.users.create(dto.email, dto.password, dto.role);
    this.events.log('user_created', { ...requestFacts(req), userId: user.id, role: user.role, createdBy: admin.id });
    return user;
  }
}
