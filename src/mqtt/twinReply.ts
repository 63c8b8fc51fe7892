import type { DeviceTwins } from '../application/device/DeviceTwins';
import type { ErrorCode } from '../domain/errors/ErrorCode';
import { hubErrorNumber } from '../domain/errors/hubErrorNumber';
import { isRegistryError } from '../domain/errors/RegistryError';
import { ERROR_STATUS } from '../http/errorStatus';
import type { IdentityRef } from '../ports/LivenessStore';
import type { Logger } from '../ports/Logger';

export interface MqttReply {
  topic: string;
  payload: Buffer;
}

/** A twin reply, with the desired `$version` a GET showed the device. */
export type TwinReply = MqttReply & { desiredVersion?: number };

const reply = (status: number, rid: string, body: unknown, extra = ''): MqttReply => ({
  topic: `$iothub/twin/res/${status}/?$rid=${encodeURIComponent(rid)}${extra}`,
  payload: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
});

/** IoT Hub's error body on a twin response topic (the SDK fails the request on `errorCode`). */
function errorReply(rid: string, code: ErrorCode, message: string): MqttReply {
  const status = ERROR_STATUS[code];
  return reply(status, rid, {
    errorCode: hubErrorNumber(code, status),
    message,
    timestampUtc: new Date().toISOString(),
  });
}

/**
 * The answer to a twin request on `$iothub/twin/res/{status}/?$rid=`: GET gets 200 with the
 * desired and reported properties, a reported PATCH 204 with reported's new `&$version=`, a
 * refused one the registry's status (400 for a broken limit) and IoT Hub's error body.
 */
export async function twinReply(
  twins: DeviceTwins,
  ref: IdentityRef,
  request: { kind: 'getTwin' | 'patchReported'; rid: string },
  payload: Buffer,
  logger: Logger,
): Promise<TwinReply> {
  try {
    if (request.kind === 'getTwin') {
      const twin = await twins.get(ref);
      return { ...reply(200, request.rid, twin), desiredVersion: twin.desired.$version };
    }
    const version = await twins.patchReported(ref, payload);
    return reply(204, request.rid, undefined, `&$version=${version}`);
  } catch (error) {
    if (isRegistryError(error)) return errorReply(request.rid, error.code, error.message);
    logger.error('MQTT: a twin request failed', error);
    return errorReply(request.rid, 'ServerError', 'The twin request failed: retry');
  }
}
