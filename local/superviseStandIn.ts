import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../src/ports/Logger';

export interface Restartable {
  exited: Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface SupervisedStandIn<T extends Restartable> {
  /** The instance running now (a restarted one after a crash). */
  current(): T;
  /** Stops it and stops restarting it. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash; it is started again, as after any crash. */
  kill(): Promise<void>;
  /** Stops restarting it (a stop of everything has begun); the process is left as it is. */
  release(): void;
}

export interface SuperviseOptions {
  /** Restarts allowed within `windowMs` before giving up (a crash loop is not hidden). */
  maxRestarts?: number;
  windowMs?: number;
  /** First wait before a restart; doubled after each failed start. */
  backoffMs?: number;
}

/**
 * Keeps a stand-in running: when its process dies while it should be running, it is started
 * again (on the same ports and data, by `restart`), with backoff, and at most `maxRestarts`
 * times in `windowMs`. Each change of state is logged once.
 */
export function superviseStandIn<T extends Restartable>(
  name: string,
  first: T,
  restart: () => Promise<T>,
  logger: Logger,
  { maxRestarts = 5, windowMs = 10 * 60_000, backoffMs = 500 }: SuperviseOptions = {},
): SupervisedStandIn<T> {
  let current = first;
  let released = false;
  const restarts: number[] = [];

  const watch = (instance: T): void => {
    void instance.exited.then(async () => {
      if (released || instance !== current) return;
      const now = Date.now();
      while (restarts.length > 0 && now - (restarts[0] ?? 0) > windowMs) restarts.shift();
      if (restarts.length >= maxRestarts) {
        logger.error(
          `${name} stopped and was restarted ${restarts.length} times in ${windowMs / 60_000} minutes: not restarting it again (restart npm start when it is fixed)`,
        );
        return;
      }
      logger.warn(`${name} stopped unexpectedly: restarting it`);
      for (let wait = backoffMs; !released; wait = Math.min(wait * 2, 10_000)) {
        await delay(wait);
        if (released) return;
        try {
          restarts.push(Date.now());
          current = await restart();
          if (released) {
            await current.stop();
            return;
          }
          logger.info(`${name} is running again`);
          watch(current);
          return;
        } catch (error) {
          if (restarts.length >= maxRestarts) {
            logger.error(`${name} could not be restarted: giving up`, error);
            return;
          }
        }
      }
    });
  };
  watch(first);

  return {
    current: () => current,
    release: () => {
      released = true;
    },
    stop: async () => {
      released = true;
      await current.stop();
    },
    kill: () => current.kill(),
  };
}
