import { InvalidArgumentError } from 'commander';

/** A commander argument parser for counts: a usage error (exit 2) names the option. */
export const positiveInteger =
  (max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(
        `must be a whole number from 1${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}`,
      );
    return n;
  };
