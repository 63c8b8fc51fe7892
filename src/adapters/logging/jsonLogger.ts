import type { Logger } from '../../ports/Logger';
import { currentOperationId } from './operationContext';

/**
 * One JSON object per line (time, level, message, operationId, error name and message), as log
 * pipelines (Application Insights, Log Analytics, any collector) parse them. Errors are reduced
 * to name and message: a stack or an SDK error's request could carry a signature.
 */
export function jsonLogger(
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Logger {
  const line = (level: string, message: string, error?: unknown) => {
    const operationId = currentOperationId();
    write(
      JSON.stringify({
        time: new Date().toISOString(),
        level,
        message,
        ...(operationId ? { operationId } : {}),
        ...(error === undefined
          ? {}
          : {
              error:
                error instanceof Error
                  ? { name: error.name, message: error.message }
                  : { message: typeof error === 'string' ? error : JSON.stringify(error) },
            }),
      }),
    );
  };
  return {
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m, e) => line('error', m, e),
  };
}
