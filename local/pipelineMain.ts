import { OutboxCommits } from '../src/adapters/cosmos/OutboxCommits';
import { parsePolicies } from '../src/adapters/policies/parsePolicies';
import { createRegistryServices } from '../src/composition/createRegistryServices';
import { parseSettings } from '../src/config/Settings';
import { consoleLogger } from '../src/adapters/logging/consoleLogger';
import { eventHubTriggers } from './eventHubTriggers';
import { RELAY_POLL_MS, relayTrigger } from './relayTrigger';

/** Past this a stop exits anyway (npm start allows 10 s in all). */
const STOP_DEADLINE_MS = 4_000;

/**
 * `LOCAL_PIPELINE=process`: the lifecycle relay and the Event Hubs consumers in a process of
 * their own, as other instances of the Function App would run them. Settings come from the
 * environment (SHARED_ACCESS_POLICIES included). The host tells it over IPC when it committed
 * outbox records, so the relay reads the feed then; it polls for every other writer.
 */
async function main(): Promise<void> {
  const settings = parseSettings(process.env);
  if (!settings.SHARED_ACCESS_POLICIES) throw new Error('SHARED_ACCESS_POLICIES must be set');
  const policies = parsePolicies(settings.SHARED_ACCESS_POLICIES, 'SHARED_ACCESS_POLICIES');
  const logger = consoleLogger;
  const runtime = await createRegistryServices({ settings, policies, logger });
  const consumers = eventHubTriggers(runtime, settings, logger);
  await consumers.start();
  const hostCommits = new OutboxCommits();
  const relay = await relayTrigger(runtime, settings, logger, RELAY_POLL_MS, {
    // Its own commits (none but retries of its own) and the host's.
    subscribe: (listener) => {
      const own = runtime.outboxCommits.subscribe(listener);
      const host = hostCommits.subscribe(listener);
      return () => {
        own();
        host();
      };
    },
  });
  await relay.start();
  process.on('message', (message: { type?: string } | null) => {
    if (message?.type === 'outboxCommitted') hostCommits.committed();
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), STOP_DEADLINE_MS).unref();
    void Promise.allSettled([relay.stop(), consumers.stop()])
      .then(() => runtime.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  // Ctrl-C reaches the whole process group: the parent stops this process after its own work.
  process.on('SIGINT', () => undefined);
  process.on('disconnect', stop);
  process.send?.({ type: 'listening', port: 0 });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (process.send && process.connected)
    process.send({ type: 'error', message }, () => process.exit(1));
  else {
    console.error(`The pipeline process could not start: ${message}`);
    process.exit(1);
  }
});
