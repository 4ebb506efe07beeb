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

/** A clock that only moves when told to, for tests: `sleep` advances time instantly. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start = Date.parse('2026-11-20T03:12:41Z')) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
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
