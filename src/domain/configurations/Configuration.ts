import type { JsonObject } from '../twin/Twin';

/** What a configuration sets: one of IoT Hub's three kinds of content. */
export interface ConfigurationContent {
  /** Desired properties of device twins: keys `properties.desired` or `properties.desired.<path>`. */
  deviceContent?: JsonObject;
  /** The same for module twins (targetCondition `FROM devices.modules WHERE …`). */
  moduleContent?: JsonObject;
  /** An IoT Edge deployment: per module, its `properties.desired`. */
  modulesContent?: JsonObject;
}

/** A configuration as the caller writes it (IoT Hub's automatic device management). */
export interface ConfigurationDraft {
  id: string;
  schemaVersion: string;
  labels: Record<string, string>;
  content: ConfigurationContent;
  targetCondition: string;
  priority: number;
  metrics: { queries: Record<string, string> };
  createdTimeUtc: string;
  lastUpdatedTimeUtc: string;
}

export interface Configuration extends ConfigurationDraft {
  etag: string;
}

/** IoT Hub's limits on configurations (this registry's where IoT Hub publishes none). */
export const CONFIGURATION_LIMITS = {
  /** Configurations per hub. */
  perHub: 100,
  idLength: 128,
  labels: 100,
  labelBytes: 128,
  /** Custom metric queries per configuration. */
  metrics: 5,
  metricNameLength: 128,
  /** The content, as JSON. */
  contentBytes: 32 * 1024,
} as const;

/** How IoT Hub names a twin's state with respect to a configuration (twin `configurations`). */
export type ConfigurationStatus = 'Targeted' | 'Applied';
