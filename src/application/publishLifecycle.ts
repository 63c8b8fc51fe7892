import type { LifecycleNotification } from '../domain/lifecycle/LifecycleNotification';
import type { RegistryDeps } from './RegistryDeps';

/**
 * Hands notifications to the publisher after the write has committed. A publishing failure
 * does not undo or fail the acknowledged write; it is logged for the operator.
 */
export async function publishLifecycle(
  deps: Pick<RegistryDeps, 'publisher' | 'logger'>,
  notifications: LifecycleNotification[],
): Promise<void> {
  if (notifications.length === 0) return;
  try {
    await deps.publisher.publish(notifications);
  } catch (error) {
    deps.logger.error(`Could not publish ${notifications.length} lifecycle notification(s)`, error);
  }
}
