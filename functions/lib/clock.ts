/** Time as a port: step logic and adapters take a Clock so tests never wait in real time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A clock that only moves when told to, for tests: `sleep` advances time instantly. Concurrent
 * sleepers share the timeline (two 2 s sleeps started together end at +2 s, not +4 s).
 */
export class ManualClock implements Clock {
  private t: number;
  constructor(start = Date.parse('2026-11-20T03:12:41Z')) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    const wake = this.t + ms;
    await Promise.resolve();
    this.t = Math.max(this.t, wake);
  }
  /** Moves time forward without sleeping. */
  advance(ms: number): void {
    this.t += ms;
  }
}

/** ISO-8601 timestamp of a clock reading. */
export function iso(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
