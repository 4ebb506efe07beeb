/** Helpers for the sandbox tests: bounded waits, metrics scrapes, and the failover steps done by hand. */
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisGlobalLock } from '#lib/redis/lock.ts';
import { ReplicaOfPromoter } from '#lib/redis/replicaof-promoter.ts';
import { parseRelayMetrics } from '#lib/relay-metrics.ts';
import type { Region } from '#lib/topology.ts';
import type { Sandbox } from '#local/sandbox/index.ts';

/** Polls `probe` until it returns a truthy value; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** One scrape of a simulated server's metrics page, read with the orchestrator's own parser. */
export async function scrape(metricsUrl: string): Promise<{
  connected: string[];
  warmed: string[];
  accepted: number;
  refused: number;
  holder: number;
  text: string;
}> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(2_000) })).text();
  const { clusters, malformedLines } = parseRelayMetrics(text);
  if (malformedLines) throw new Error(`${malformedLines} malformed relay lines in ${metricsUrl}`);
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
  return {
    connected: [...clusters]
      .filter(([, c]) => c.pushConnected === 1 && c.pullConnected === 1)
      .map(([n]) => n),
    warmed: [...clusters].filter(([, c]) => c.warmed === 1).map(([n]) => n),
    accepted: num(/^sandbox_accepted_writes_total (\d+)$/m),
    refused: num(/^sandbox_refused_writes_total (\d+)$/m),
    holder: num(/^sandbox_lock_holder\{cluster="[^"]+"\} (\d)$/m),
    text,
  };
}

/** Promotes `target`'s Redis (REPLICAOF NO ONE when the source is gone) and moves the lock to its cluster. */
export async function promoteAndSwitchLock(sb: Sandbox, source: Region, target: Region): Promise<number> {
  const promoter = new ReplicaOfPromoter({
    members: { [source]: sb.regions[source].redis.endpoint, [target]: sb.regions[target].redis.endpoint },
    maxLagBytes: 1_048_576,
    connectTimeoutMs: 300,
    commandTimeoutMs: 500,
  });
  const status = await promoter.promote({ sourceRegion: source, targetRegion: target, dryRun: false });
  if (status.state !== 'complete') throw new Error(`promotion of ${target} not complete: ${status.detail}`);
  const client = sb.regions[target].redis.client();
  try {
    const res = await new RedisGlobalLock(client, sb.lockFormat).switch({
      expectedHolder: sb.regions[source].server.cluster,
      newHolder: sb.regions[target].server.cluster,
    });
    return res.epoch;
  } finally {
    client.disconnect();
  }
}

/** The record value of a cluster, as the topology says. */
export function recordValue(sb: Sandbox, cluster: string): string {
  const v = sb.topology.dns.values[cluster];
  if (!v) throw new Error(`no record value for ${cluster}`);
  return v;
}
