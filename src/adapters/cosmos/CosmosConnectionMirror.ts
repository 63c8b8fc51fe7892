import type { Container, ItemDefinition, PatchOperation } from '@azure/cosmos';
import type { ConnectionChange, ConnectionMirror } from '../../ports/ConnectionMirror';
import { inParallel } from '../../application/runPerDevice';
import { isCosmosNotFound, translateCosmosError } from './translateCosmosError';
import { twinDocumentId } from './twinDocuments';

const ATTEMPTS = 10;
const CONCURRENCY = 16;

/** Transitions patched into twin documents, each conditional on the version it was read at. */
export class CosmosConnectionMirror implements ConnectionMirror {
  constructor(private readonly container: Container) {}

  async apply(changes: readonly ConnectionChange[]): Promise<void> {
    await inParallel([...changes], CONCURRENCY, (c) => this.applyOne(c));
  }

  private async applyOne(change: ConnectionChange): Promise<void> {
    const item = this.container.item(twinDocumentId(change.moduleId), change.deviceId);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let twin: ItemDefinition | undefined;
      try {
        twin = (await item.read<ItemDefinition>()).resource;
      } catch (error) {
        if (isCosmosNotFound(error)) return;
        throw translateCosmosError(error, {});
      }
      if (!twin) return;
      if (change.generationId !== null && twin.generationId !== change.generationId) return;
      if (
        typeof twin.connectionStateUpdatedTime === 'string' &&
        twin.connectionStateUpdatedTime >= change.at
      )
        return;
      const operations: PatchOperation[] = [
        { op: 'set', path: '/connectionState', value: change.state },
        { op: 'set', path: '/connectionStateUpdatedTime', value: change.at },
      ];
      if (change.lastActivityTime !== null)
        operations.push({ op: 'set', path: '/lastActivityTime', value: change.lastActivityTime });
      try {
        await item.patch(
          { operations },
          { accessCondition: { type: 'IfMatch', condition: String(twin._etag) } },
        );
        return;
      } catch (error) {
        if (isCosmosNotFound(error)) return;
        const status = (error as { code?: unknown }).code;
        if (status !== 412) throw translateCosmosError(error, {});
      }
    }
    throw new Error(
      `The twin of '${change.deviceId}' kept changing while its connection state was set`,
    );
  }
}
