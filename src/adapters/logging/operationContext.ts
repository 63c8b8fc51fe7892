import { AsyncLocalStorage } from 'node:async_hooks';

const operations = new AsyncLocalStorage<string>();

/** Runs `work` as one operation: every log line it causes carries `operationId`. */
export const withOperation = <T>(operationId: string, work: () => T): T =>
  operations.run(operationId, work);

export const currentOperationId = (): string | undefined => operations.getStore();
