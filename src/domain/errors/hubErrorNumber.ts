import type { ErrorCode } from './ErrorCode';

/** IoT Hub's numeric error codes (CONTRACT.md "Errors"), where the wire carries a number. */
const NUMBERS: Partial<Record<ErrorCode, number>> = {
  ArgumentInvalid: 400004,
  ArgumentNull: 400005,
  IotHubFormatError: 400006,
  IotHubUnauthorizedAccess: 401002,
  DeviceNotFound: 404001,
  ModuleNotFound: 404010,
  DeviceNotOnline: 404103,
  PreconditionFailed: 412001,
  MessageTooLarge: 413001,
  ThrottlingException: 429001,
  ServerError: 500001,
  ServiceUnavailable: 503001,
  GatewayTimeout: 504101,
};

/** The number IoT Hub gives an error: its own, or the status followed by 000. */
export const hubErrorNumber = (code: ErrorCode, status: number): number =>
  NUMBERS[code] ?? status * 1000;
