/** What the monitor learns from one event on the stream. */
export type LivenessEvent =
  | {
      /** A device-to-cloud message (`iothub-message-source: Telemetry`). */
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
      /** A create, delete or status change of the identity (`deviceLifecycleEvents`). */
      kind: 'lifecycle';
      op: 'create' | 'delete' | 'status';
      deviceId: string;
      moduleId: string | null;
      at: string;
      generationId: string | null;
      enabled: boolean | null;
    }
  | {
      /** `deviceConnectionStateEvents`: `deviceConnected` or `deviceDisconnected`. */
      kind: 'connection';
      connected: boolean;
      deviceId: string;
      moduleId: string | null;
      /** The operation's time (`operationTimestamp`). */
      at: string;
      /** The body's sequence number as 64 hex digits: string order is the hub's order. */
      sequenceNumber: string;
      generationId: string | null;
    }
  | {
      /** `twinChangeEvents`: which parts of the twin the operation changed. */
      kind: 'twinChange';
      deviceId: string;
      moduleId: string | null;
      at: string;
      /** Reported properties changed: only the device itself can do that. */
      reported: boolean;
      generationId: string | null;
    }
  | {
      /** `digitalTwinChangeEvents`: a change of the digital twin, never the device's doing. */
      kind: 'digitalTwinChange';
      deviceId: string;
      moduleId: string | null;
      at: string;
    };
