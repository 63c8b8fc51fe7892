import { RegistryError } from '../../domain/errors/RegistryError';
import type { Clock } from '../../ports/Clock';
import { refKey } from '../../ports/LivenessStore';
import type { TelemetryMessage, TelemetryPublisher } from '../../ports/TelemetryPublisher';
import type { DeviceAuthenticator, DeviceRequest } from './DeviceAuthenticator';
import type { RateLimiter } from './RateLimiter';

/** One message as the device sent it. */
export interface IncomingMessage {
  body: Buffer;
  /** Application properties (`iothub-app-*` without the prefix). */
  properties: Record<string, string>;
  messageId?: string | undefined;
  correlationId?: string | undefined;
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
}

/**
 * Device-to-cloud messages: authenticate, rate-limit per identity, and publish with the system
 * properties IoT Hub adds. Nothing is published for a refused request, and the body of a
 * request that does not authenticate is never read.
 */
export class DeviceMessageIngress {
  constructor(
    private readonly authenticator: DeviceAuthenticator,
    private readonly publisher: TelemetryPublisher,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
  ) {}

  /**
   * A device asking for its cloud-to-device messages (the HTTP transport polls every second).
   * This registry sends none, so an authenticated device always finds its queue empty.
   */
  async pendingMessages(request: Omit<DeviceRequest, 'now'>): Promise<[]> {
    await this.authenticator.authenticate({ ...request, now: this.clock.now() });
    return [];
  }

  async accept(
    request: Omit<DeviceRequest, 'now'>,
    readMessages: () => Promise<readonly IncomingMessage[]>,
  ): Promise<void> {
    const now = this.clock.now();
    const { ref, access } = await this.authenticator.authenticate({ ...request, now });
    const messages = await readMessages();
    const wait = this.limiter.take(refKey(ref), messages.length, now.getTime());
    if (wait > 0) {
      throw new RegistryError(
        'ThrottlingException',
        `Too many messages from this ${ref.moduleId === null ? 'device' : 'module'}: retry after ${wait} s`,
        wait,
      );
    }
    const identity = access.module ?? access.device;
    const system: Record<string, string> = {
      'iothub-connection-device-id': ref.deviceId,
      ...(ref.moduleId === null ? {} : { 'iothub-connection-module-id': ref.moduleId }),
      'iothub-connection-auth-generation-id': identity.generationId,
      'iothub-connection-auth-method': JSON.stringify({
        scope: ref.moduleId === null ? 'device' : 'module',
        type: identity.authentication.type,
        issuer: 'iothub',
      }),
      'iothub-message-source': 'Telemetry',
      'iothub-enqueuedtime': now.toISOString(),
    };
    const out: TelemetryMessage[] = messages.map((m) => ({
      partitionKey: ref.deviceId,
      body: m.body,
      properties: m.properties,
      systemProperties: {
        ...system,
        ...(m.messageId ? { 'message-id': m.messageId } : {}),
        ...(m.correlationId ? { 'correlation-id': m.correlationId } : {}),
        ...(m.contentType ? { 'content-type': m.contentType } : {}),
        ...(m.contentEncoding ? { 'content-encoding': m.contentEncoding } : {}),
      },
    }));
    await this.publisher.publish(out);
  }
}
