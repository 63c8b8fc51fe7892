/**
 * Why an event of the stream was skipped: stable codes to count by (metrics, the ingest's
 * totals), each logged once per process with an example.
 */
export type SkipReason =
  | 'unknownSource'
  | 'unknownOpType'
  | 'missingDeviceId'
  | 'missingModuleId'
  /** A device or module ID no registry could hold (1 to 128 of IoT Hub's characters). */
  | 'badIdentityId'
  | 'badTime'
  | 'badBody'
  | 'badSequenceNumber'
  /** The parser itself failed on it (never expected; still never fatal for the batch). */
  | 'unreadable';
