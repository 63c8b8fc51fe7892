/**
 * Why an event of the stream was skipped: stable codes to count by (metrics, the ingest's
 * totals), each logged once per process with an example.
 */
export type SkipReason =
  | 'unknownSource'
  | 'unknownOpType'
  /** An Event Grid event of a type the monitor does not read (not one of IoT Hub's five). */
  | 'unknownEventType'
  /** An Event Grid event that is not an event object of either schema. */
  | 'badEnvelope'
  | 'missingDeviceId'
  | 'missingModuleId'
  /** A device or module ID no registry could hold (1 to 128 of IoT Hub's characters). */
  | 'badIdentityId'
  | 'badTime'
  | 'badBody'
  | 'badSequenceNumber'
  /** The parser itself failed on it (never expected; still never fatal for the batch). */
  | 'unreadable';
