import type { InvocationContext, Timer } from '@azure/functions';
import { performance } from 'node:perf_hooks';
import type { RawEvent } from '../domain/liveness/RawEvent';
import type { LivenessServices } from '../application/liveness/LivenessServices';

type Provider = () => Promise<LivenessServices>;

const at = <T>(list: unknown, i: number): T | undefined =>
  Array.isArray(list) ? (list[i] as T) : undefined;

/** Zips the batch with its slice of triggerMetadata (cardinality `many`). */
export function rawEvents(messages: unknown, context: InvocationContext): RawEvent[] {
  const bodies = Array.isArray(messages) ? (messages as unknown[]) : [messages];
  const meta = context.triggerMetadata ?? {};
  return bodies.map((body, i) => ({
    body,
    systemProperties: at<Record<string, unknown>>(meta.systemPropertiesArray, i),
    properties: at<Record<string, unknown>>(meta.propertiesArray, i),
    enqueuedTimeUtc: at<unknown>(meta.enqueuedTimeUtcArray, i),
  }));
}

/**
 * The Event Hubs trigger. Bad events are counted and skipped inside `ingest` (by reason, in the
 * metrics; each reason logged once per process, not per batch); a failure of the
 * store is thrown so the host's retry policy delivers the batch again (writes are idempotent).
 */
export function livenessEventHubHandler(services: Provider) {
  return async (messages: unknown, context: InvocationContext): Promise<void> => {
    const { ingest, metrics, clock } = await services();
    const partition =
      (context.triggerMetadata?.partitionContext as { partitionId?: string } | undefined)
        ?.partitionId ?? '0';
    const events = rawEvents(messages, context);
    const result = await ingest.ingest(events, partition);
    // Lag: how old the batch's newest event was when it was taken in.
    const newest = Math.max(
      ...events
        .map((e) => new Date(e.enqueuedTimeUtc as string | Date).getTime())
        .filter(Number.isFinite),
    );
    metrics.ingested(
      partition,
      result.events,
      result.malformed,
      Number.isFinite(newest) ? Math.max(0, (clock.now().getTime() - newest) / 1000) : null,
    );
    for (const [reason, count] of Object.entries(result.skipped))
      metrics.skipped(reason, count ?? 0);
    if (result.alerts > 0) metrics.alerted('recovered', result.alerts);
  };
}

/** The timer: one sweep per tick; a sweep that is past due simply catches up (it reads by deadline). */
export function livenessTimerHandler(services: Provider) {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    const { sweep, clock, metrics } = await services();
    const started = performance.now();
    const result = await sweep.sweep(clock.now());
    metrics.swept(performance.now() - started, result.silenced);
    if (result.silenced > 0) metrics.alerted('silent', result.silenced);
    if (timer.isPastDue)
      context.log('Sweep ran late (isPastDue); it covered everything due up to now');
    if (!result.current)
      context.warn(`Pipeline ${result.lagSeconds}s behind: ${result.held} silent alert(s) held`);
  };
}
