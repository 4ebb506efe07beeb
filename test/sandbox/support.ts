/** Helpers for the sandbox tests: bounded waits, metrics scrapes, */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseRelayMetrics } from '#lib/relay-metrics.ts';
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

/** The record value of a cluster, as the topology says. */
export function recordValue(sb: Sandbox, cluster: string): string {
  const v = sb.topology.dns.values[cluster];
  if (!v) throw new Error(`no record value for ${cluster}`);
  return v;
}
