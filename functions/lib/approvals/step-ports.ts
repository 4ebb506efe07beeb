/**
 * `makeHandler` builds the failover steps' ports (Redis, DNS, probes ...) unless given others; the
 * approval handlers use none of them, so they pass {@link noStepPorts} and stay lean at cold start.
 */
import type { Ports } from '../wiring.ts';

/** Ports that refuse every use (the approval handlers never touch the step ports). */
export function noStepPorts(): Ports {
  return new Proxy({} as Ports, {
    get(_, prop) {
      // `await` looks for a `then`: answer that it is not a promise.
      if (prop === 'then') return undefined;
      throw new Error(`the approval handlers have no step port ${String(prop)}`);
    },
  });
}
