import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { EchoGateway } from './echo.gateway';

@Module({ imports: [UsersModule], providers: [EchoGateway] })
export class WsModule {}
