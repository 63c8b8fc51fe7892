import { z } from 'zod';
import { METHOD_LIMITS } from '../../domain/methods/DirectMethodCall';

const seconds = (name: string, min: number, max: number, fallback: number) =>
  z
    .number({ error: `${name} must be a number of seconds` })
    .int(`${name} must be a whole number of seconds`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`)
    .nullish()
    .transform((v) => v ?? fallback);

/**
 * A direct method invocation as IoT Hub takes it (azure-iothub sends every field; unknown ones
 * are ignored). The name goes into an MQTT topic, so topic separators and wildcards may not.
 */
export const methodBodySchema = z.looseObject({
  methodName: z
    .string({ error: 'methodName is required: the name of the method to call' })
    .min(1, 'methodName is empty')
    .max(100, 'methodName is longer than 100 characters')
    .regex(/^[^/#+?\s]+$/, "methodName may not hold '/', '#', '+', '?' or white space"),
  payload: z.unknown().optional(),
  responseTimeoutInSeconds: seconds(
    'responseTimeoutInSeconds',
    METHOD_LIMITS.minResponseTimeoutSeconds,
    METHOD_LIMITS.maxResponseTimeoutSeconds,
    METHOD_LIMITS.defaultResponseTimeoutSeconds,
  ),
  connectTimeoutInSeconds: seconds(
    'connectTimeoutInSeconds',
    0,
    METHOD_LIMITS.maxConnectTimeoutSeconds,
    0,
  ),
});
