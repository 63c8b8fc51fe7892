import type { Checkpoint, CheckpointStore, PartitionOwnership } from '@azure/event-hubs';

const host = (namespace: string) => namespace.replace(/:\d+$/, '');

/**
 * A checkpoint store that keys checkpoints and ownership by the namespace's host without its
 * port: the SDK names a local stand-in's namespace `127.0.0.1:PORT`, and a host restarted on
 * another port must still find where its consumer group stopped.
 */
export function portlessCheckpointStore(store: CheckpointStore): CheckpointStore {
  return {
    listOwnership: (namespace, hub, group, options) =>
      store.listOwnership(host(namespace), hub, group, options),
    claimOwnership: (ownerships: PartitionOwnership[], options) =>
      store.claimOwnership(
        ownerships.map((o) => ({ ...o, fullyQualifiedNamespace: host(o.fullyQualifiedNamespace) })),
        options,
      ),
    updateCheckpoint: (checkpoint: Checkpoint, options) =>
      store.updateCheckpoint(
        { ...checkpoint, fullyQualifiedNamespace: host(checkpoint.fullyQualifiedNamespace) },
        options,
      ),
    listCheckpoints: (namespace, hub, group, options) =>
      store.listCheckpoints(host(namespace), hub, group, options),
  };
}
