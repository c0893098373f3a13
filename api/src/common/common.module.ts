import { Global, Module } from '@nestjs/common';
import { SecurityEventLogger } from './security-events';

@Global()
@Module({
  providers: [SecurityEventLogger],
  exports: [SecurityEventLogger],
})
export class CommonModule {}
