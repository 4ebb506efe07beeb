/**
 * The report step's active-server signal: after a run that switched (or found the target already
 * active), pipelines are told which server is active (SSM parameter per region, signed webhook).
 * Never on a dry run; never fails the report: what happened is added to it.
 */
import { type ActiveSignalPorts, type SignalResult, signalActiveServer } from '#lib/active-signal.ts';
import { iso } from '#lib/clock.ts';
import type { Topology } from '#lib/topology.ts';
import type { RunReport, RunState } from './report.ts';

/** Outcomes after which the target is the active server. */
const SWITCHED = new Set(['FailedOver', 'ReconnectIncomplete', 'AlreadyActive']);

/** Signals the active server when the run switched; adds the result to the report. */
export async function signalAfterRun(
  report: RunReport,
  s: RunState,
  t: Topology,
  ports: ActiveSignalPorts | undefined,
): Promise<SignalResult | null> {
  if (!ports || report.dryRun || !SWITCHED.has(s.outcome.name)) return null;
  const target = t.servers.find((x) => x.id === s.run.target.server);
  if (!target) return null;
  const result = await signalActiveServer(
    {
      server: target.id,
      glooClusterName: target.glooClusterName,
      region: target.region,
      epoch: s.lock?.epoch ?? s.plan?.before.lock?.epoch ?? 0,
      at: iso(ports.clock),
      execution: s.run.executionId,
    },
    t,
    ports,
  ).catch((e: Error) => {
    report.nextActions.push(`The active-server signal failed: ${e.message}`);
    return null;
  });
  if (!result) return null;
  report.activeSignal = result;
  for (const w of result.ssm)
    if (w.outcome === 'failed')
      report.nextActions.push(
        `The active-server parameter was not written in ${w.region} (${w.detail}): pipelines reading it there see the old server until a re-run of the ${s.run.direction} writes it.`,
      );
  if (result.webhook?.outcome === 'failed')
    report.nextActions.push(
      `The active-server webhook was not delivered after ${result.webhook.attempts} attempt(s) (${result.webhook.detail}): tell the pipeline by hand that ${target.id} is active.`,
    );
  return result;
}
