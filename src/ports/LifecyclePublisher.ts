import type { LifecycleNotification } from '../domain/lifecycle/LifecycleNotification';

/** Where the registry hands lifecycle notifications (Event Hubs in Azure; in-process locally). */
export interface LifecyclePublisher {
  publish(notifications: readonly LifecycleNotification[]): Promise<void>;
}
