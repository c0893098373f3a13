import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { RolesGuard } from './auth/roles.guard';
import { CommonModule } from './common/common.module';
import { AppThrottlerGuard, throttlerOptions } from './common/throttler.guard';
import { APP_CONFIG_KEY, AppConfig } from './config/app-config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { NotesModule } from './notes/notes.module';
import { UsersModule } from './users/users.module';
import { WsModule } from './ws/ws.module';

@Module({})
export class AppModule {
  /**
   * The root module takes the already validated config (see main.ts → loadConfig), so an
   * invalid environment stops the process before Nest builds anything.
   */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [() => ({ [APP_CONFIG_KEY]: config })],
        }),
        ThrottlerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (c: ConfigService) => throttlerOptions(c.getOrThrow<AppConfig>(APP_CONFIG_KEY)),
        }),
        CommonModule,
        DatabaseModule,
        HealthModule,
        AuthModule,
        UsersModule,
        NotesModule,
        WsModule,
      ],
      providers: [
        // Order matters: rate limit first (also for bad tokens), then authentication, then roles.
        { provide: APP_GUARD, useClass: AppThrottlerGuard },
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
      ],
    };
  }
}
