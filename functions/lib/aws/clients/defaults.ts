/**
 * What every AWS SDK client module shares: settings, a per-region memo (warm invocations reuse the
 * client), and the Lambda's own region. The
 * SDK retries a little (`maxAttempts`); the ASL `Retry` does the rest, with backoff and jitter, on
 * `TransientError`. Timeouts are short so that a region that does not answer is noticed in seconds,
 * not after the Lambda timeout.
 */
import type { Region } from '../../topology.ts';

/** Settings shared by every client. */
export const CLIENT_DEFAULTS = {
  /** One try plus two SDK retries; the workflow retries further. */
  maxAttempts: 3,
  requestHandler: {
    /** A regional endpoint that does not accept a connection in this time counts as not answering. */
    connectionTimeout: 3_000,
    /** A request that gets no response in this time counts as not answering. */
    requestTimeout: 10_000,
  },
} as const;

/**
 * Settings of the clients that send MUTATING calls (Route 53 record changes, ElastiCache failover,
 * re-protection): no SDK retry. A repeated mutating call after a lost response is refused by AWS
 * (Route 53 `InvalidChangeBatch`: the DELETE no longer matches; ElastiCache
 * `InvalidGlobalReplicationGroupState`: the datastore is already modifying), so the adapters retry
 * themselves, after reading the state, and treat "already what we wanted" as success.
 */
export const MUTATING_CLIENT_DEFAULTS = { ...CLIENT_DEFAULTS, maxAttempts: 1 } as const;

/** Memoises a client per region. */
export function perRegion<C>(make: (region: string) => C) {
  const made = new Map<string, C>();
  return (region: Region): C => {
    let c = made.get(region);
    if (!c) {
      c = make(region);
      made.set(region, c);
    }
    return c;
  };
}

/** The Lambda's own region (`AWS_REGION`), for clients of services that are regional to the stack. */
export function ownRegion(): Region {
  const r = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!r) throw new Error('AWS_REGION is not set');
  return r as Region;
}
