/**
 * Sandbox benchmark: time from `startSandbox` to every agent connected (and warmed), and from the
 * record change plus the old region's kill to every agent reconnected (and warmed) on the new
 * server, for 20 and 1,000 agents. The failover is done in the orchestrator's order (promote Redis,
 * switch the lock, repoint the record) with the sandbox defaults: TTL 1 s, propagation 300 ms,
 * agent backoff 100 ms base / 2 s cap with full jitter.
 *
 * Standalone: `npx node bench/sandbox.ts` prints a table.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { promoteAndSwitchLock, startSandbox } from '#local/sandbox/index.ts';

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} not reached within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** One measured run for `agents` agents. */
async function run(agents: number): Promise<Record<string, number>> {
  const t0 = performance.now();
  const sb = await startSandbox({ agents, waitForAgents: false });
  try {
    const [a, b] = sb.regionNames;
    const [east, west] = sb.clusters;
    const active = sb.regions[a].server;
    const next = sb.regions[b].server;
    await sb.agents.waitAllOn(east, 60_000);
    const connected = performance.now() - t0;
    await until(() => active.warmedClusters().length === agents, 60_000, 'all warmed on A');
    const warmed = performance.now() - t0;

    await promoteAndSwitchLock(sb, a, b);
    const t1 = performance.now();
    const cas = sb.dns.compareAndSwap(
      { ttl: sb.topology.dns.ttl, values: [sb.topology.dns.values[east]!] },
      { ttl: sb.topology.dns.ttl, values: [sb.topology.dns.values[west]!] },
    );
    if (!cas.ok) throw new Error('bench: record CAS refused');
    await sb.killRegion(a);
    await sb.agents.waitAllOn(west, 60_000);
    const reconnected = performance.now() - t1;
    await until(() => next.warmedClusters().length === agents, 60_000, 'all warmed on B');
    const rewarmed = performance.now() - t1;
    const violations = sb.invariants.violations();
    if (violations.length) throw new Error(`bench: invariant violations: ${violations.join('; ')}`);
    return {
      [`sandbox.${agents}.start_to_all_connected_ms`]: Math.round(connected),
      [`sandbox.${agents}.start_to_all_warmed_ms`]: Math.round(warmed),
      [`sandbox.${agents}.record_change_to_all_reconnected_ms`]: Math.round(reconnected),
      [`sandbox.${agents}.record_change_to_all_warmed_ms`]: Math.round(rewarmed),
    };
  } finally {
    await sb.stop();
  }
}

/** Runs the sandbox benchmark (20 and 1,000 agents); keys are `sandbox.<agents>.<measure>_ms`. */
export async function benchSandbox(opts: { agentCounts?: number[] } = {}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const n of opts.agentCounts ?? [20, 1_000]) Object.assign(out, await run(n));
  return out;
}

if (import.meta.main) {
  const results = await benchSandbox();
  const rows = new Map<number, Record<string, number>>();
  for (const [key, value] of Object.entries(results)) {
    const [, agents, measure] = key.split('.');
    const row = rows.get(Number(agents)) ?? {};
    row[measure!] = value;
    rows.set(Number(agents), row);
  }
  console.log('sandbox benchmark (ms; TTL 1 s, DNS propagation 300 ms, backoff 100 ms..2 s full jitter)');
  console.table(Object.fromEntries([...rows].map(([n, r]) => [`${n} agents`, r])));
}
