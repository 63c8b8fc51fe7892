import { InvocationContext, type Timer } from '@azure/functions';
import { CronExpressionParser } from 'cron-parser';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../src/ports/Logger';

type TimerHandler = (timer: Timer, context: InvocationContext) => Promise<void>;

/**
 * Runs a timer function on its NCRONTAB schedule (six fields, seconds first, UTC), as the
 * Functions host does: one run at a time, `isPastDue` when a run starts late.
 */
export class LocalTimer {
  private timeout: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private last: Date | undefined;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly schedule: string,
    private readonly handler: TimerHandler,
    private readonly logger: Logger,
  ) {
    if (schedule.trim().split(/\s+/).length !== 6) {
      throw new Error(
        `The schedule '${schedule}' of ${name} must have six fields (seconds first), as Azure Functions timers do`,
      );
    }
    this.nextAfter(new Date());
  }

  start(): void {
    this.plan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timeout);
    await this.running;
  }

  private nextAfter(date: Date): Date {
    return CronExpressionParser.parse(this.schedule, { currentDate: date, tz: 'UTC' })
      .next()
      .toDate();
  }

  private plan(): void {
    if (this.stopped) return;
    const due = this.nextAfter(new Date());
    this.timeout = setTimeout(
      () => {
        this.running = this.fire(due).finally(() => {
          this.running = undefined;
          this.plan();
        });
      },
      Math.max(0, due.getTime() - Date.now()),
    );
  }

  private async fire(due: Date): Promise<void> {
    const now = new Date();
    const timer: Timer = {
      isPastDue: now.getTime() - due.getTime() > 1000,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (this.last ?? due).toISOString(),
        next: this.nextAfter(now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    this.last = now;
    const context = new InvocationContext({
      functionName: this.name,
      invocationId: randomUUID(),
      logHandler: (level, ...args) => {
        if (level === 'error') this.logger.error(args.map(String).join(' '));
        else if (level === 'warning') this.logger.warn(args.map(String).join(' '));
      },
    });
    try {
      await this.handler(timer, context);
    } catch (error) {
      this.logger.error(`${this.name} failed`, error);
    }
  }
}
