import type { LivenessServices } from './LivenessServices';
import { livenessEventHubHandler, livenessTimerHandler } from './livenessTriggerHandlers';
import { EVENT_GRID_TRIGGER_NAME, livenessEventGridHandler } from '../eventgrid/eventGridTrigger';

/** The liveness functions: what `functions/` registers and the local host runs. */
export function livenessTriggers(services: () => Promise<LivenessServices>) {
  return {
    ingest: { name: 'livenessIngest', handler: livenessEventHubHandler(services) },
    sweep: { name: 'livenessSweep', handler: livenessTimerHandler(services) },
    eventGrid: { name: EVENT_GRID_TRIGGER_NAME, handler: livenessEventGridHandler(services) },
  };
}
