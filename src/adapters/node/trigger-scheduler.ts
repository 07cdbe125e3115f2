import type { Logger } from '../../core/ports.ts';
import { describeError } from '../../core/shared/errors.ts';

/**
 * The Node instance's timer for trigger episodes: every `pollMs` it asks the
 * engine to claim and send what is due, again at once while a whole batch
 * came back. The due times live in the store, not in this timer: a restart
 * (or a SIGKILL) loses nothing, and the next poll of any instance picks up
 * whatever came due meanwhile. `stop()` waits for the round in flight, so
 * shutdown closes the store only after its sends are recorded.
 */
export interface TriggerScheduler {
  stop(): Promise<void>;
}

export function startTriggerScheduler(engine: { fireDue(now?: number): Promise<number> }, options: { pollMs: number; batch: number; logger: Logger }): TriggerScheduler {
  let stopped = false;
  let running: Promise<void> | undefined;
  const round = async () => {
    try {
      while (!stopped && (await engine.fireDue()) >= options.batch) {
        // a full batch: more may be due
      }
    } catch (error) {
      options.logger.warn('claiming due trigger episodes failed; trying again at the next poll', { error: describeError(error) });
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = round().finally(() => {
      running = undefined;
    });
  }, options.pollMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
