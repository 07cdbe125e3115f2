import { AppError } from './errors.ts';

/**
 * Gives a promise a time budget. Opens must answer quickly whatever the
 * store does; a call that misses its budget is treated as failed (the work
 * itself may still finish in the background).
 */
export function withBudget<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('STORE_TIMEOUT', 503, `${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
