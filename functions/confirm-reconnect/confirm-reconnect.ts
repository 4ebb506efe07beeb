/**
 * Step 7, confirm-reconnect: scrapes the target server's metrics and checks that each expected
 * agent cluster is connected (push and pull) and warmed. The workflow polls it; when the last
 * allowed poll still falls short, the run ends `ReconnectIncomplete` naming the missing clusters.
 */
import { iso } from '#lib/clock.ts';
import { evaluateReconnection, parseRelayMetrics } from '#lib/relay-metrics.ts';
import type { Plan, Reconnect, Run } from '#lib/state.ts';
import { serverById, type Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/** The ports confirm-reconnect uses. */
export type ConfirmReconnectPorts = Pick<Ports, 'metrics' | 'clock'>;

/** How many polls fit in the reconnection timeout. */
export function maxReconnectPolls(t: Topology): number {
  return Math.max(1, Math.ceil(t.reconnection.timeoutSeconds / t.reconnection.pollIntervalSeconds));
}

/** One look at the target's metrics. */
export async function confirmReconnect(
  run: Run,
  plan: Plan,
  previous: Reconnect | undefined,
  t: Topology,
  ports: ConfirmReconnectPorts,
): Promise<Reconnect> {
  const now = iso(ports.clock);
  const polls = (previous?.polls ?? 0) + 1;
  const maxPolls = maxReconnectPolls(t);
  const base = { startedAt: previous?.startedAt ?? now, polls, maxPolls };
  const server = serverById(t, run.target.server);
  let page: string;
  try {
    page = await ports.metrics.scrape(server.metricsUrl, t.verification.probeTimeoutMs);
  } catch (e) {
    return {
      ...base,
      endedAt: iso(ports.clock),
      done: false,
      final: polls >= maxPolls,
      expected: plan.expectedClusters.length,
      connected: 0,
      fraction: 0,
      missing: plan.expectedClusters
        .slice(0, 100)
        .map((c) => ({ cluster: c, reason: 'target metrics unreadable' })),
      detail: `cannot scrape ${server.metricsUrl}: ${(e as Error).message}`,
    };
  }
  const { clusters } = parseRelayMetrics(page);
  // Without a known expected set, the agents the target reports are all we can check (at least one).
  const expected = plan.expectedClusters.length > 0 ? plan.expectedClusters : [...clusters.keys()];
  const { connected, missing } = evaluateReconnection(clusters, expected);
  const fraction = expected.length === 0 ? 0 : connected.length / expected.length;
  const done = expected.length > 0 && fraction >= t.reconnection.minFraction;
  return {
    ...base,
    endedAt: iso(ports.clock),
    done,
    final: done || polls >= maxPolls,
    expected: expected.length,
    connected: connected.length,
    fraction,
    missing: missing.slice(0, 100),
    detail: `${connected.length}/${expected.length} expected clusters connected and warmed on ${server.id} (need ${Math.round(t.reconnection.minFraction * 100)}%)${missing.length > 100 ? `; ${missing.length} missing, first 100 listed` : ''}`,
  };
}
