/**
 * Step 7, confirm-reconnect: reads the target server's relay gauges (summed by cluster over its
 * replicas, from the pods or from Prometheus) and checks that each expected agent cluster is
 * connected (push and pull) and warmed. A replica that does not answer makes the clusters not seen
 * connected UNKNOWN (named with the replica), never "disconnected". The workflow polls it; when the
 * last allowed poll still falls short, the run ends `ReconnectIncomplete` naming the missing clusters.
 */
import { iso } from '#lib/clock.ts';
import { describeReading, evaluateReading, missingReplicas } from '#lib/metrics/reading.ts';
import type { Plan, Reconnect, Run } from '#lib/state.ts';
import { serverById, type Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/** The ports confirm-reconnect uses. */
export type ConfirmReconnectPorts = Pick<Ports, 'agentMetrics' | 'clock'>;

/** How many polls fit in the reconnection timeout. */
export function maxReconnectPolls(t: Topology): number {
  return Math.max(1, Math.ceil(t.reconnection.timeoutSeconds / t.reconnection.pollIntervalSeconds));
}

/** One look at the target's agent gauges. */
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
  let reading: Awaited<ReturnType<Ports['agentMetrics']['read']>>;
  try {
    reading = await ports.agentMetrics.read(server, t.verification.probeTimeoutMs);
  } catch (e) {
    return {
      ...base,
      endedAt: iso(ports.clock),
      done: false,
      final: polls >= maxPolls,
      expected: plan.expectedClusters.length,
      connected: 0,
      fraction: 0,
      unknown: plan.expectedClusters.length,
      missingReplicas: [],
      missing: plan.expectedClusters
        .slice(0, 100)
        .map((c) => ({ cluster: c, reason: 'unknown: target metrics unreadable' })),
      detail: `cannot read the agent gauges of ${server.id}: ${(e as Error).message}`,
    };
  }
  // Without a known expected set, the agents the target reports are all we can check (at least one).
  const expected = plan.expectedClusters.length > 0 ? plan.expectedClusters : [...reading.clusters.keys()];
  const { connected, missing, unknown } = evaluateReading(reading, expected);
  const fraction = expected.length === 0 ? 0 : connected.length / expected.length;
  const done = expected.length > 0 && fraction >= t.reconnection.minFraction;
  const notes = [
    missing.length > 100 ? `${missing.length} missing, first 100 listed` : '',
    !reading.complete || reading.rejectedCount ? describeReading(reading) : '',
    unknown.length ? `${unknown.length} unknown (not disconnected)` : '',
  ].filter(Boolean);
  return {
    ...base,
    endedAt: iso(ports.clock),
    done,
    final: done || polls >= maxPolls,
    expected: expected.length,
    connected: connected.length,
    fraction,
    unknown: unknown.length,
    missingReplicas: missingReplicas(reading),
    missing: missing.slice(0, 100),
    detail: `${connected.length}/${expected.length} expected clusters connected and warmed on ${server.id} (need ${Math.round(t.reconnection.minFraction * 100)}%)${notes.length ? `; ${notes.join('; ')}` : ''}`,
  };
}
