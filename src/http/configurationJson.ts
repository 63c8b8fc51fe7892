import type { ConfigurationView } from '../configurations/ConfigurationRegistry';

/** A configuration in IoT Hub's wire shape. */
export const configurationJson = (c: ConfigurationView) => ({
  id: c.id,
  schemaVersion: c.schemaVersion,
  labels: c.labels,
  content: {
    ...(c.content.deviceContent ? { deviceContent: c.content.deviceContent } : {}),
    ...(c.content.moduleContent ? { moduleContent: c.content.moduleContent } : {}),
    ...(c.content.modulesContent ? { modulesContent: c.content.modulesContent } : {}),
  },
  targetCondition: c.targetCondition,
  createdTimeUtc: c.createdTimeUtc,
  lastUpdatedTimeUtc: c.lastUpdatedTimeUtc,
  priority: c.priority,
  systemMetrics: c.systemMetrics,
  metrics: c.metrics,
  etag: c.etag,
});
