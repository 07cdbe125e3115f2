/**
 * At most `limit` holders at once; the others wait their turn, first come
 * first served. For work that holds memory while it waits on something
 * slower (a composite's pixels until its encoder is free): under a backlog
 * the waiting costs a promise each, not the memory.
 */
export class Turns {
  private held = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  /** Turns held now. */
  get holding(): number {
    return this.held;
  }

  /** Callers waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with the caller's turn; calling what it resolves with gives the turn up (once, however often it is called). */
  async take(): Promise<() => void> {
    if (this.held < this.limit) this.held++;
    else await new Promise<void>((go) => this.waiting.push(go));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      // The turn passes straight to the next in line, so no one arriving meanwhile can take it first.
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    };
  }
}
