import type { LifecycleNotification } from './LifecycleNotification';

/**
 * Numbers a write's notifications after `previous`, the last number the device ID used. A
 * number is at least the write's time in microseconds, so numbers keep rising even after a
 * deleted device's ledger has expired and the ID is registered again; within one ledger they
 * rise strictly whatever the clocks do. Each notification gets a stable id from its number, so
 * a consumer can drop a redelivered copy, and the number lets it drop a stale one.
 */
export function sequenceNotifications(
  notifications: readonly LifecycleNotification[],
  previous: number,
  now: Date,
): { notifications: LifecycleNotification[]; last: number } {
  if (notifications.length === 0) return { notifications: [], last: previous };
  let sequence = Math.max(previous, now.getTime() * 1000 - 1);
  const numbered = notifications.map((n) => {
    sequence++;
    const id = `${n.partitionKey}/${sequence}`;
    return {
      ...n,
      properties: { ...n.properties, notificationId: id, lifecycleSequence: String(sequence) },
      systemProperties: { ...n.systemProperties, 'message-id': id },
    };
  });
  return { notifications: numbered, last: sequence };
}

/** The sequence number a notification was given, or undefined when it has none. */
export function sequenceOf(n: Pick<LifecycleNotification, 'properties'>): number | undefined {
  const text = n.properties.lifecycleSequence;
  const value = text === undefined ? NaN : Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
