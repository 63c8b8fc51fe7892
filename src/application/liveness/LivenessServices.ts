import type { LivenessIngest } from './LivenessIngest';
import type { LivenessSweep } from './LivenessSweep';
import type { PipelineMonitor } from './PipelineMonitor';
import type { LivenessPolicy } from '../../domain/liveness/LivenessRecord';
import type { Clock } from '../../ports/Clock';
import type { LivenessStore } from '../../ports/LivenessStore';
import type { Logger } from '../../ports/Logger';
import type { Metrics } from '../../ports/Metrics';

/** What the liveness triggers and endpoints need, built once per process. */
export interface LivenessServices {
  store: LivenessStore;
  ingest: LivenessIngest;
  sweep: LivenessSweep;
  pipeline: PipelineMonitor;
  policy: LivenessPolicy;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}
