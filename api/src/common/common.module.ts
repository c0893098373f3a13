import { Global, Module } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import { SecurityEventLogger } from './security-events';

@Global()
@Module({
  providers: [SecurityEventLogger, MetricsService],
  exports: [SecurityEventLogger, MetricsService],
})
export class CommonModule {}
