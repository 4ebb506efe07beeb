/**
 * Step 2 (failback), verify-recovered: the mirror of verify-outage. The same quorum must see the
 * original server (the failback target) healthy again. Not confirmed -> `RecoveryNotConfirmed`.
 */
import { RecoveryNotConfirmed } from '#lib/errors.ts';
import { evaluateSignals, type SignalPorts } from '#lib/signals.ts';
import type { Run, Verification } from '#lib/state.ts';
import { serverById, type Topology } from '#lib/topology.ts';
import { skipped } from '../verify-outage/verify-outage.ts';

/** Confirms that `run.target` (the original region) is healthy again, or throws. */
export async function verifyRecovered(run: Run, t: Topology, ports: SignalPorts): Promise<Verification> {
  if (run.input.force.skipVerification) return skipped(run, 'up', ports);
  const server = serverById(t, run.target.server);
  const result = await evaluateSignals(server, 'up', t, ports);
  if (!result.confirmed)
    throw new RecoveryNotConfirmed(
      `the recovery of ${server.id} is not confirmed: ${result.votes} signal(s) say up, ${result.against} disagree, quorum ${result.quorum}. Evidence: ${result.evidence.join(' | ')}`,
      { ...result },
    );
  return { ...result, skipped: false };
}
