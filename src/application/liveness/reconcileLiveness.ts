import type { DeviceIdentity } from '../../domain/identity/DeviceIdentity';
import type { ModuleIdentity } from '../../domain/identity/ModuleIdentity';
import type { LivenessRecord } from '../../domain/liveness/LivenessRecord';
import type { RawEvent } from '../../domain/liveness/RawEvent';
import type { Clock } from '../../ports/Clock';
import type { RegistryStore } from '../../ports/RegistryStore';
import type { LivenessIngest } from './LivenessIngest';
import type { LivenessStore } from '../../ports/LivenessStore';

const PAGE = 1000;
const key = (deviceId: string, moduleId: string | null) => `${deviceId}\u0000${moduleId ?? ''}`;

/**
 * Brings the last-seen map back in line with the registry: an entry for every identity, none
 * for an identity that is gone. The map is normally kept in line by lifecycle notifications;
 * this repairs what a store that lost writes (Azurite keeps its tables in memory between
 * saves, so a killed process can lose its last seconds) or a lost event left behind. It feeds
 * the ingest the lifecycle events that were missed, so the usual rules (generations,
 * tombstones) apply, and is safe to run at any time.
 */
export async function reconcileLiveness(
  registry: RegistryStore,
  map: LivenessStore,
  ingest: LivenessIngest,
  clock: Clock,
): Promise<{ created: number; deleted: number }> {
  const devices = new Map<string, DeviceIdentity>();
  const modules: ModuleIdentity[] = [];
  let token: string | undefined;
  do {
    const page = await registry.scanIdentities(PAGE, token);
    for (const item of page.items) {
      if (item.kind === 'device') devices.set(item.device.deviceId, item.device);
      else if (item.kind === 'module') modules.push(item.module);
    }
    token = page.continuationToken;
  } while (token);
  const identities = new Map<string, DeviceIdentity | ModuleIdentity>();
  for (const d of devices.values()) identities.set(key(d.deviceId, null), d);
  for (const m of modules)
    if (devices.get(m.deviceId)?.generationId === m.deviceGenerationId)
      identities.set(key(m.deviceId, m.moduleId), m);

  const entries = new Map<string, LivenessRecord>();
  token = undefined;
  do {
    const page = await map.listByState(undefined, PAGE, token);
    for (const r of page.items) entries.set(key(r.deviceId, r.moduleId), r);
    token = page.continuationToken;
  } while (token);

  const at = clock.now().toISOString();
  const events: RawEvent[] = [];
  let created = 0;
  let deleted = 0;
  for (const [k, identity] of identities) {
    if (entries.has(k)) continue;
    const status = 'status' in identity ? identity.status : null;
    const moduleId = 'moduleId' in identity ? identity.moduleId : null;
    events.push(
      lifecycleEvent(
        'createDeviceIdentity',
        identity.deviceId,
        moduleId,
        identity.generationId,
        status,
        at,
      ),
    );
    created++;
  }
  for (const [k, r] of entries) {
    if (identities.has(k) || r.deletedAt !== null) continue;
    events.push(
      lifecycleEvent('deleteDeviceIdentity', r.deviceId, r.moduleId, r.generationId, null, at),
    );
    deleted++;
  }
  for (let i = 0; i < events.length; i += PAGE)
    await ingest.ingest(events.slice(i, i + PAGE), 'reconcile');
  return { created, deleted };
}

/** A lifecycle notification as the trigger hands it over, with what the map reads of it. */
function lifecycleEvent(
  opType: string,
  deviceId: string,
  moduleId: string | null,
  generationId: string | null,
  status: string | null,
  at: string,
): RawEvent {
  return {
    body: {
      deviceId,
      ...(moduleId ? { moduleId } : {}),
      generationId,
      ...(status ? { status } : {}),
    },
    properties: {
      opType,
      deviceId,
      ...(moduleId ? { moduleId } : {}),
      operationTimestamp: at,
      'iothub-message-source': 'deviceLifecycleEvents',
    },
    systemProperties: {},
    enqueuedTimeUtc: at,
  };
}
