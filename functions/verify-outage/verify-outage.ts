/**
 * Step 2 (failover), verify-outage: a quorum of independent signals must agree the source server
 * is down. Not confirmed -> `OutageNotConfirmed` with the evidence; nothing changed.
 */
import { iso } from '#lib/clock.ts';
import { OutageNotConfirmed } from '#lib/errors.ts';
import { evaluateSignals, type SignalPorts } from '#lib/signals.ts';
import type { Run, Verification } from '#lib/state.ts';
import { serverById, type Topology } from '#lib/topology.ts';

/** Confirms the outage of `run.source` or throws {@link OutageNotConfirmed}. */
export async function verifyOutage(run: Run, t: Topology, ports: SignalPorts): Promise<Verification> {
  if (run.input.force.skipVerification) return skipped(run, 'down', ports);
  const server = serverById(t, run.source.server);
  const result = await evaluateSignals(
    server,
    'down',
    t,
    ports,
    run.input.alarmName ? [run.input.alarmName] : [],
  );
  if (!result.confirmed)
    throw new OutageNotConfirmed(
      `the outage of ${server.id} is not confirmed: ${result.votes} signal(s) say down, ${result.against} disagree, quorum ${result.quorum}. Evidence: ${result.evidence.join(' | ')}`,
      { ...result },
    );
  return { ...result, skipped: false };
}

/** The verification an operator skipped with `force.skipVerification` (recorded as such). */
export function skipped(run: Run, want: 'down' | 'up', ports: SignalPorts): Verification {
  const now = iso(ports.clock);
  return {
    startedAt: now,
    endedAt: now,
    confirmed: true,
    skipped: true,
    want,
    votes: 0,
    against: 0,
    quorum: 0,
    signals: [],
    evidence: [`verification skipped by ${run.input.requestedBy} (force.skipVerification)`],
  };
}
