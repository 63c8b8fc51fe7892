import { RegistryError } from '../domain/errors/RegistryError';
import type { IfMatch } from '../domain/identity/IfMatch';
import type { BulkEntry, BulkEntryError, BulkResult } from './BulkEntry';
import type { DeviceRegistry } from './DeviceRegistry';
import type { ModuleRegistry } from './ModuleRegistry';
import type { Logger } from '../ports/Logger';
import { runPerDevice } from './runPerDevice';

/**
 * Applies bulk entries. Each entry is one conditional write of its own, so an entry is applied
 * whole or not at all; entries of one device run in the order given, devices run side by side.
 */
export class BulkRegistry {
  constructor(
    private readonly devices: DeviceRegistry,
    private readonly modules: ModuleRegistry,
    private readonly logger: Logger,
    private readonly concurrency = 16,
  ) {}

  async apply(entries: readonly BulkEntry[]): Promise<BulkResult> {
    const errors: BulkEntryError[] = [];
    await runPerDevice(
      entries,
      (e) => e.deviceId,
      this.concurrency,
      async (entry) => {
        const error = await this.applyOne(entry);
        if (error) errors.push(error);
      },
    );
    return { isSuccessful: errors.length === 0, errors, warnings: [] };
  }

  /**
   * `existed`, when the caller has just read the identity, picks which write createOrUpdate
   * tries first (an import into an empty registry then skips a read per line).
   */
  async applyOne(entry: BulkEntry, existed?: boolean): Promise<BulkEntryError | undefined> {
    try {
      await (entry.moduleId === undefined
        ? this.applyDevice(entry, existed)
        : this.applyModule(entry, entry.moduleId, existed));
      return undefined;
    } catch (error) {
      const ids = {
        deviceId: entry.deviceId,
        ...(entry.moduleId === undefined ? {} : { moduleId: entry.moduleId }),
      };
      if (error instanceof RegistryError)
        return { ...ids, errorCode: error.code, errorStatus: error.message };
      this.logger.error('Bulk entry failed unexpectedly', error);
      return {
        ...ids,
        errorCode: 'ServerError',
        errorStatus: 'The entry could not be applied: retry it',
      };
    }
  }

  private async applyDevice(entry: BulkEntry, existed?: boolean): Promise<void> {
    const { deviceId, device, twin } = entry;
    const match = conditionOf(entry);
    switch (entry.importMode) {
      case 'create':
        await this.devices.create(deviceId, device, twin);
        return;
      case 'update':
      case 'updateIfMatchETag':
        await this.devices.update(deviceId, device, match, twin);
        return;
      case 'delete':
      case 'deleteIfMatchETag':
        await this.devices.delete(deviceId, match);
        return;
      case 'createOrUpdate':
      case 'createOrUpdateIfMatchETag':
        await createOrUpdate(
          () => this.devices.create(deviceId, device, twin),
          () => this.devices.update(deviceId, device, match, twin),
          'DeviceAlreadyExists',
          'DeviceNotFound',
          existed === false,
        );
        return;
    }
  }

  private async applyModule(entry: BulkEntry, moduleId: string, existed?: boolean): Promise<void> {
    const { deviceId, module, twin } = entry;
    const match = conditionOf(entry);
    switch (entry.importMode) {
      case 'create':
        await this.modules.create(deviceId, moduleId, module, twin);
        return;
      case 'update':
      case 'updateIfMatchETag':
        await this.modules.update(deviceId, moduleId, module, match, twin);
        return;
      case 'delete':
      case 'deleteIfMatchETag':
        await this.modules.delete(deviceId, moduleId, match);
        return;
      case 'createOrUpdate':
      case 'createOrUpdateIfMatchETag':
        await createOrUpdate(
          () => this.modules.create(deviceId, moduleId, module, twin),
          () => this.modules.update(deviceId, moduleId, module, match, twin),
          'ModuleAlreadyExistsOnDevice',
          'ModuleNotFound',
          existed === false,
        );
        return;
    }
  }
}

function conditionOf(entry: BulkEntry): Exclude<IfMatch, { kind: 'none' }> {
  return entry.importMode.endsWith('IfMatchETag')
    ? { kind: 'etag', etag: entry.etag ?? '' }
    : { kind: 'any' };
}

/**
 * Update first (the common case on re-import); create when missing; update again if a create
 * raced. Create first when the identity is known to have been absent a moment ago.
 */
async function createOrUpdate(
  create: () => Promise<unknown>,
  update: () => Promise<unknown>,
  existsCode: string,
  missingCode: string,
  createFirst = false,
): Promise<void> {
  if (createFirst) {
    try {
      await create();
      return;
    } catch (error) {
      if (!(error instanceof RegistryError) || error.code !== existsCode) throw error;
    }
  }
  try {
    await update();
  } catch (error) {
    if (!(error instanceof RegistryError) || error.code !== missingCode) throw error;
    try {
      await create();
    } catch (raced) {
      if (!(raced instanceof RegistryError) || raced.code !== existsCode) throw raced;
      await update();
    }
  }
}
