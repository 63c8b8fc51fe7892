import { z } from 'zod';

/** A hub of the stand-in: its partitions and consumer groups (`$Default` always exists). */
export const hubSettingsSchema = z.object({
  // The name is also a directory under the data directory.
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/),
  partitions: z.number().int().min(1).max(1024),
  consumerGroups: z.array(z.string().min(1).max(50)).optional(),
});

export type HubSettings = z.infer<typeof hubSettingsSchema>;

/** What the stand-in's process is started with (passed in its environment, keys and all). */
export const brokerSettingsSchema = z.object({
  hubs: z.array(hubSettingsSchema).min(1),
  keyName: z.string().min(1),
  key: z.string().min(1),
  dataDir: z.string().min(1),
  retentionHours: z.number().positive().optional(),
});

export type BrokerSettings = z.infer<typeof brokerSettingsSchema>;
