/**
 * Step 6, repoint-dns: switches the relay name from the source to the target the way the topology
 * says (`dns.switch.mode`: ARC routing controls or out-of-service marks on the data plane, or the
 * record compare-and-swap), then confirms ON THE DATA PLANE: polled until every authoritative name
 * server (and configured resolver) answers the target. `GetChange` is never asked: it is a Route 53
 * control-plane call. Already switched -> no-op; a switch that selects neither server -> refused
 * unless `force.dns`; nothing is overwritten that the run did not expect.
 */
import { iso } from '#lib/clock.ts';
import { DnsRecordUnexpected } from '#lib/errors.ts';
import type { DnsResult, Run } from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/** The ports repoint-dns uses. */
export type RepointDnsPorts = Pick<Ports, 'dnsSwitch' | 'dnsAnswers' | 'clock'>;

/** Switches the name (or reports it already points at the target / what it would change). */
export async function repointDns(run: Run, t: Topology, ports: RepointDnsPorts): Promise<DnsResult> {
  const startedAt = iso(ports.clock);
  const { source, target } = run;
  const mode = ports.dnsSwitch.mode;
  const state = await ports.dnsSwitch.state();
  if (state.selects !== source.server && state.selects !== target.server && !run.input.force.dns)
    throw new DnsRecordUnexpected(
      `the DNS switch selects neither server (${state.detail}); pass force.dns to switch it anyway`,
      { detail: state.detail, mode },
    );
  const targetValue = t.dns.values[target.server]!;
  const res = await ports.dnsSwitch.select({
    source: source.server,
    target: target.server,
    dryRun: run.input.dryRun,
    force: run.input.force.dns,
  });
  const base = {
    startedAt,
    endedAt: iso(ports.clock),
    mode,
    detail: res.detail,
    warnings: res.warnings,
    before: state.record?.values ?? [t.dns.values[state.selects ?? ''] ?? state.detail],
    after: [targetValue],
    polls: 0,
    changeId: null,
    confirmedBy: [],
  };
  if (res.outcome === 'would-change') return { ...base, outcome: res.outcome, status: 'INSYNC' };
  // Changed or already: INSYNC only once the data plane answers the target.
  return confirm({ ...base, outcome: res.outcome, status: 'PENDING' }, target.server, ports);
}

/**
 * Asks the data plane again (the workflow does this once more before the report: where DNS has got
 * to). A dry run changed nothing: it stays as it was.
 */
export async function pollDns(previous: DnsResult, run: Run, ports: RepointDnsPorts): Promise<DnsResult> {
  if (previous.outcome === 'would-change') return previous;
  return confirm({ ...previous, polls: previous.polls + 1 }, run.target.server, ports);
}

async function confirm(r: DnsResult, target: string, ports: RepointDnsPorts): Promise<DnsResult> {
  const seen = await ports.dnsAnswers.resolve();
  const answering = seen.answers.filter((a) => !a.error && a.values.length > 0);
  const status = seen.pointsTo === target ? 'INSYNC' : 'PENDING';
  return {
    ...r,
    status,
    endedAt: iso(ports.clock),
    confirmedBy:
      status === 'INSYNC'
        ? answering.map((a) => `${a.from}: ${a.values.join(',')}`)
        : seen.answers.map((a) => `${a.from}: ${a.error ?? a.values.join(',')}`),
  };
}
