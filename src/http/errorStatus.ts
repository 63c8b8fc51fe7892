import type { ErrorCode } from '../domain/errors/ErrorCode';

/** The one map from error to HTTP status (CONTRACT.md "Errors"). */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  ArgumentInvalid: 400,
  ArgumentNull: 400,
  BadRequest: 400,
  IotHubFormatError: 400,
  InvalidProtocolVersion: 400,
  DeviceDefinedMultipleTimes: 400,
  BulkRegistryOperationFailure: 400,
  IotHubUnauthorizedAccess: 401,
  TooManyDevices: 403,
  TooManyModulesOnDevice: 403,
  // IoT Hub answers a second active import/export job with 403 JobQuotaExceeded ("Failed to
  // create job since there is another job running", 403001 in azure-iot-sdk-csharp's
  // IotHubServiceErrorCode; JobQuotaExceededException in its v1 SDK); azure-iothub raises
  // TooManyDevicesError for a 403.
  JobQuotaExceeded: 403,
  // IoT Hub's answer to a configuration beyond the hub's 100.
  IotHubQuotaExceeded: 403,
  DeviceNotFound: 404,
  ModuleNotFound: 404,
  // A direct method's device has no session that takes methods (404103).
  DeviceNotOnline: 404,
  JobNotFound: 404,
  ConfigurationNotFound: 404,
  NotFound: 404,
  MethodNotAllowed: 405,
  DeviceAlreadyExists: 409,
  ConfigurationAlreadyExists: 409,
  JobAlreadyExists: 409,
  ModuleAlreadyExistsOnDevice: 409,
  CertificateAlreadyExists: 409,
  PreconditionFailed: 412,
  MessageTooLarge: 413,
  UnsupportedMediaType: 415,
  ThrottlingException: 429,
  ServerError: 500,
  ServiceUnavailable: 503,
  // A direct method's device did not answer in time (504101).
  GatewayTimeout: 504,
};
