import type { z } from 'zod';
import type { ErrorCode } from '../../domain/errors/ErrorCode';

/** What the OpenAPI document says of a route, written beside it in the route table. */
export interface RouteDoc {
  summary: string;
  body?: z.ZodType;
  /** The success status and, when it has one, the reply's schema. */
  success: [number, z.ZodType | null];
  /** The errors a caller can cause, beyond those every authenticated route has. */
  errors: ErrorCode[];
  /** No SAS token needed. */
  anonymous?: boolean;
  /** The success reply's media type when it is not JSON. */
  contentType?: string;
}

/** Errors many routes share. */
export const ID_ERRORS: ErrorCode[] = ['ArgumentInvalid'];
export const WRITE_ERRORS: ErrorCode[] = [
  'ArgumentInvalid',
  'ArgumentNull',
  'IotHubFormatError',
  'MessageTooLarge',
];
export const DEVICE_ERRORS: ErrorCode[] = [...ID_ERRORS, 'DeviceNotFound'];
export const MODULE_ERRORS: ErrorCode[] = [...ID_ERRORS, 'DeviceNotFound', 'ModuleNotFound'];
export const CONDITIONAL_ERRORS: ErrorCode[] = ['PreconditionFailed'];
