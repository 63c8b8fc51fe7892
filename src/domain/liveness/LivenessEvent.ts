/** What the monitor learns from one event on the stream. */
export type LivenessEvent =
  | {
      kind: 'activity';
      deviceId: string;
      moduleId: string | null;
      /** Enqueued time: the hub's clock, not the device's. */
      at: string;
      heartbeat: boolean;
      intervalSeconds: number | null;
      generationId: string | null;
    }
  | {
      kind: 'lifecycle';
      op: 'create' | 'delete' | 'status';
      deviceId: string;
      moduleId: string | null;
      at: string;
      generationId: string | null;
      enabled: boolean | null;
    };
