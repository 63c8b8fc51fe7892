import type { LivenessAlert } from '../domain/liveness/LivenessAlert';

/** Where alerts go beyond the alert log (an Event Hubs `alerts` hub in Azure). */
export interface AlertPublisher {
  publish(alerts: readonly LivenessAlert[]): Promise<void>;
}

export const noAlertPublisher: AlertPublisher = { publish: () => Promise.resolve() };
