import { AppError } from './errors.ts';

/**
 * Gives a promise a time budget. Opens must answer quickly whatever the
 * store does; a call that misses its budget is treated as failed (the work
 * itself may still finish in the background).
 *
 * An open makes half a dozen budgeted calls, nearly all answered at once
 * (from memory, or a local SQLite), and a timer armed and cleared for each
 * cost more than the calls themselves. So budgets share one coarse timer:
 * it ticks every TICK_MS while any budget is pending and fails those past
 * their deadline, which therefore fail up to TICK_MS late.
 */
const TICK_MS = 5;

interface Pending {
  deadline: number;
  fail: () => void;
}

const pending = new Set<Pending>();
let ticking = false;

function tick(): void {
  const now = Date.now();
  for (const entry of pending) {
    if (entry.deadline > now) continue;
    pending.delete(entry);
    entry.fail();
  }
  ticking = pending.size > 0;
  if (ticking) arm();
}

function arm(): void {
  const timer = setTimeout(tick, TICK_MS) as unknown as { unref?: () => void };
  // On Node, a pending budget must not keep a finished process alive.
  timer.unref?.();
}

export function withBudget<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const entry: Pending = { deadline: Date.now() + ms, fail: () => reject(new AppError('STORE_TIMEOUT', `${what} took longer than ${ms} ms`)) };
    pending.add(entry);
    if (!ticking) {
      ticking = true;
      arm();
    }
    work.then(
      (value) => {
        pending.delete(entry);
        resolve(value);
      },
      (error: unknown) => {
        pending.delete(entry);
        reject(error);
      },
    );
  });
}
