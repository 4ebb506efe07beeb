/**
 * Step 7, confirm-reconnect: reads the target server's relay gauges (summed by cluster over its
 * replicas, from the pods or from Prometheus) and checks that each expected agent cluster is
 * connected (push and pull) and warmed. A replica that does not answer makes the clusters not seen
 * connected UNKNOWN (named with the replica), never "disconnected". The workflow polls it; when the
 * last allowed poll still falls short, the run ends `ReconnectIncomplete` naming the missing clusters.
 */
import { iso } from '#lib/clock.ts';
import { ReconnectIncomplete, TransientError } from '#lib/errors.ts';
import { digestOf, runSetKey } from '#lib/expected-set.ts';
import { describeReading, evaluateReading, missingReplicas } from '#lib/metrics/reading.ts';
import type { Plan, Reconnect, Run } from '#lib/state.ts';
import { serverById, type Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/** The ports confirm-reconnect uses. */
export type ConfirmReconnectPorts = Pick<Ports, 'agentMetrics' | 'clock' | 'registry'>;

/** Run sets read in this container (a run polls every few seconds; its set never changes). */
const cache = new Map<string, string[]>();

/**
 * The expected agent clusters of the run: the topology's static list or the run set preflight
 * saved, checked against the count and digest the state carries. A set that is gone or does not
 * match is never guessed at: the run ends ReconnectIncomplete saying so.
 */
export async function expectedList(
  run: Run,
  plan: Plan,
  t: Topology,
  ports: Pick<Ports, 'registry'>,
): Promise<string[]> {
  const e = plan.expectedClusters;
  if (e.count === 0) return [];
  let list: string[] | undefined;
  const rc = t.reconnection.expectedClusters;
  if (e.storedIn === 'topology' && rc.source === 'static') list = rc.clusters;
  else if (e.storedIn === 'registry') {
    const key = runSetKey(run.executionId);
    list = cache.get(key);
    if (!list) {
      const saved = await ports.registry.runSet(key).catch((err: Error) => {
        throw new TransientError(`cannot read the expected clusters of this run: ${err.message}`);
      });
      if (!saved)
        throw new ReconnectIncomplete(
          `the expected clusters of this run (${e.count}) are no longer in the cluster registry (kept 15 days): re-run the workflow to record them again`,
          { key },
        );
      list = saved.clusters;
    }
  }
  if (!list || list.length !== e.count || digestOf(list) !== e.sha256)
    throw new ReconnectIncomplete(
      `the expected clusters found (${list?.length ?? 'none'}, from ${e.storedIn}) do not match the ${e.count} preflight recorded (digest ${e.sha256.slice(0, 12)}): re-run the workflow`,
      { storedIn: e.storedIn },
    );
  if (e.storedIn === 'registry') cache.set(runSetKey(run.executionId), list);
  return list;
}

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
  const expectedClusters = await expectedList(run, plan, t, ports);
  let reading: Awaited<ReturnType<Ports['agentMetrics']['read']>>;
  try {
    reading = await ports.agentMetrics.read(server, t.verification.probeTimeoutMs);
  } catch (e) {
    return {
      ...base,
      endedAt: iso(ports.clock),
      done: false,
      final: polls >= maxPolls,
      expected: expectedClusters.length,
      connected: 0,
      fraction: 0,
      unknown: expectedClusters.length,
      missingReplicas: [],
      missing: expectedClusters
        .slice(0, 100)
        .map((c) => ({ cluster: c, reason: 'unknown: target metrics unreadable' })),
      detail: `cannot read the agent gauges of ${server.id}: ${(e as Error).message}`,
    };
  }
  // Without a known expected set, the agents the target reports are all we can check (at least one).
  const expected = expectedClusters.length > 0 ? expectedClusters : [...reading.clusters.keys()];
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
