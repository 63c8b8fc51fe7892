import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_EVENT_HUBS } from '../../local/hostEventHubsOptions';

describe('the local host batches Event Hubs triggers as host.json tells the Functions host', () => {
  it('uses host.json extensions.eventHubs batch size and prefetch', () => {
    const host = JSON.parse(readFileSync(join(__dirname, '../../host.json'), 'utf8')) as {
      extensions: { eventHubs: Record<string, unknown> };
    };
    const { maxEventBatchSize, prefetchCount } = host.extensions.eventHubs;
    expect({ maxEventBatchSize, prefetchCount }).toEqual(HOST_EVENT_HUBS);
  });
});
