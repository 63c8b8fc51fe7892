import type { LivenessServices } from './LivenessServices';
import { livenessEventHubHandler, livenessTimerHandler } from './livenessTriggerHandlers';

/** The liveness functions: what `functions/` registers and the local host runs. */
export function livenessTriggers(services: () => Promise<LivenessServices>) {
  return {
    ingest: { name: 'livenessIngest', handler: livenessEventHubHandler(services) },
    sweep: { name: 'livenessSweep', handler: livenessTimerHandler(services) },
  };
}
