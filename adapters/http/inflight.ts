/**
 * Counts work in progress (HTTP requests and engine turns) so shutdown can
 * wait for it to finish, bounded by the grace period.
 */
export class InflightTracker {
  #count = 0;
  #waiters: (() => void)[] = [];

  get count(): number {
    return this.#count;
  }

  begin(): () => void {
    this.#count += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#count -= 1;
      if (this.#count === 0) {
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const w of waiters) w();
      }
    };
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    const end = this.begin();
    try {
      return await work();
    } finally {
      end();
    }
  }

  /** Resolves true when nothing is in flight, or false when `timeoutMs` passed first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== onIdle);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const onIdle = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push(onIdle);
    });
  }
}
