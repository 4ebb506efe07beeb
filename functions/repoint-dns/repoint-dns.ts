/**
 * Step 6, repoint-dns: one atomic compare-and-swap of the relay record from the source's value to
 * the target's (Route 53 `DELETE old + CREATE new`), then polled until INSYNC. A record changed by
 * someone else meanwhile -> `DnsChangeConflict`, nothing overwritten. Already pointing -> no-op.
 */
import { iso } from '#lib/clock.ts';
import { DnsRecordUnexpected } from '#lib/errors.ts';
import { clusterForRecord } from '#lib/observe.ts';
import type { DnsResult, Run } from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/** Changes the record (or reports it already points at the target / what it would change). */
export async function repointDns(
  run: Run,
  t: Topology,
  ports: Pick<Ports, 'dns' | 'clock'>,
): Promise<DnsResult> {
  const startedAt = iso(ports.clock);
  const targetValue = t.dns.values[run.target.server]!;
  const current = await ports.dns.read();
  if (!current)
    throw new DnsRecordUnexpected(`the record ${t.dns.recordName} (${t.dns.recordType}) does not exist`);
  const pointsTo = clusterForRecord(t, current);
  const next = { ttl: t.dns.ttl, values: [targetValue] };
  const base = { startedAt, before: current.values, after: next.values, polls: 0 };
  if (pointsTo === run.target.server)
    return {
      ...base,
      after: current.values,
      endedAt: iso(ports.clock),
      outcome: 'already',
      changeId: null,
      status: 'INSYNC',
    };
  if (pointsTo !== run.source.server && !run.input.force.dns)
    throw new DnsRecordUnexpected(
      `the record ${t.dns.recordName} points at ${current.values.join(', ')}, which is neither server; pass force.dns to overwrite it`,
      {
        values: current.values,
      },
    );
  const res = await ports.dns.compareAndSwap({ expected: current, next, dryRun: run.input.dryRun });
  return {
    ...base,
    endedAt: iso(ports.clock),
    outcome: res.outcome,
    changeId: res.changeId,
    status: res.outcome === 'changed' ? 'PENDING' : 'INSYNC',
  };
}

/** Polls the change until INSYNC. */
export async function pollDns(previous: DnsResult, ports: Pick<Ports, 'dns' | 'clock'>): Promise<DnsResult> {
  if (previous.status === 'INSYNC' || !previous.changeId) return previous;
  const status = await ports.dns.changeStatus(previous.changeId);
  return { ...previous, status, polls: previous.polls + 1, endedAt: iso(ports.clock) };
}
