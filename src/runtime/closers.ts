import type { Logger } from '../platform/logger.js';

/** Shutdown steps of a process, run last-in first-out. */
export class Closers {
  private readonly steps: Array<() => Promise<void>> = [];
  private readonly first: Array<() => Promise<void>> = [];

  constructor(private readonly logger: Logger) {}

  push(step: () => Promise<void>, name = 'step'): void {
    this.steps.push(Object.assign(step, { stepName: name }));
  }

  /** A step that runs before all others (stop accepting requests before anything behind them). */
  pushFirst(step: () => Promise<void>, name = 'step'): void {
    this.first.push(Object.assign(step, { stepName: name }));
  }

  async closeAll(): Promise<void> {
    this.steps.push(...this.first.splice(0));
    while (this.steps.length) {
      const step = this.steps.pop()! as (() => Promise<void>) & { stepName?: string };
      this.logger.debug({ step: step.stepName }, 'closing');
      await step().catch((error: unknown) => this.logger.error({ err: error, step: step.stepName }, 'shutdown step failed'));
    }
  }
}
