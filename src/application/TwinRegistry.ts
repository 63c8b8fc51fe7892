import { RegistryError } from '../domain/errors/RegistryError';
import type { IfMatch } from '../domain/identity/IfMatch';
import { twinEtag, type Twin } from '../domain/twin/Twin';
import { updateTwinState, type TwinChange } from '../domain/twin/updateTwinState';
import type { Clock } from '../ports/Clock';
import type { RegistryStore } from '../ports/RegistryStore';

const ATTEMPTS = 10;

const notFound = (deviceId: string, moduleId: string | null) =>
  moduleId === null
    ? new RegistryError('DeviceNotFound', `Device '${deviceId}' is not registered`)
    : new RegistryError(
        'ModuleNotFound',
        `Module '${moduleId}' is not registered on device '${deviceId}'`,
      );

/**
 * Twin use cases: read, and update by merge (PATCH) or replace (PUT). A write is conditional on
 * the revision it read, and is planned again when another writer got in between; `If-Match`
 * compares with the twin's etag, which moves only when the twin changes.
 */
export class TwinRegistry {
  constructor(private readonly deps: { store: RegistryStore; clock: Clock }) {}

  async get(deviceId: string, moduleId: string | null): Promise<Twin> {
    const stored = await this.deps.store.readTwin(deviceId, moduleId);
    if (!stored) throw await this.missing(deviceId, moduleId);
    return stored.twin;
  }

  /** A module's twin is missing because its device is, or because the module is. */
  private async missing(deviceId: string, moduleId: string | null): Promise<RegistryError> {
    if (moduleId !== null && !(await this.deps.store.readDevice(deviceId)))
      return notFound(deviceId, null);
    return notFound(deviceId, moduleId);
  }

  async update(
    deviceId: string,
    moduleId: string | null,
    change: TwinChange,
    mode: 'merge' | 'replace',
    ifMatch: IfMatch,
  ): Promise<Twin> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.deps.store.readTwin(deviceId, moduleId);
      if (!stored) throw await this.missing(deviceId, moduleId);
      if (ifMatch.kind === 'etag' && ifMatch.etag !== stored.twin.etag)
        throw new RegistryError(
          'PreconditionFailed',
          `The etag given in If-Match is not the twin's current etag (${stored.twin.etag}): read the twin again and retry`,
        );
      const now = this.deps.clock.now().toISOString();
      const state = updateTwinState(stored.twin, change, mode, now);
      const next: Twin = { ...stored.twin, ...state, etag: twinEtag(state.version) };
      const written = await this.deps.store.writeTwin(next, stored.revision);
      if (written) return written.twin;
      if (attempt >= ATTEMPTS)
        throw new RegistryError(
          'ThrottlingException',
          `Too many concurrent changes to the twin of '${deviceId}': retry after a moment`,
          1,
        );
    }
  }
}
