/**
 * The last run into each server on AWS, for `npm run status`: the state machines of the server's
 * region found by name (`states:ListStateMachines`), their newest execution
 * (`states:ListExecutions`, maxResults 1) and its end state (`states:DescribeExecution`: the Fail
 * state's error is the outcome; a Succeed state's output carries the report's outcome). Read-only.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { sfnClientFor } from '#lib/aws/clients/sfn.ts';
import type { Server, Topology } from '#lib/topology.ts';
import type { LastRun, LastRunReader } from './status.ts';

/** The state machine name of a route (as infra/aws/lib/regional-stack.ts names them). */
async function machineNames(
  t: Topology,
  s: Server,
): Promise<{ name: string; direction: LastRun['direction'] }[]> {
  const { stateMachineName } = await import('../aws/lib/regional-stack.ts');
  const out: { name: string; direction: LastRun['direction'] }[] = [
    {
      name: stateMachineName(t, { direction: 'failover', targetServer: s.id }),
      direction: 'failover' as const,
    },
  ];
  if (s.id === t.homeServer)
    out.push({
      name: stateMachineName(t, { direction: 'failback', targetServer: s.id }),
      direction: 'failback',
    });
  return out;
}

/** Reads the newest execution of the server's state machines (`client` per region; default the SDK's). */
export function awsLastRunReader(
  t: Topology,
  clientFor: (region: Server['region']) => SFNClient = sfnClientFor,
): LastRunReader {
  return async (s) => {
    const client = clientFor(s.region);
    const wanted = await machineNames(t, s);
    const arns = new Map<string, LastRun['direction']>();
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListStateMachinesCommand({ maxResults: 1000, nextToken }));
      for (const m of page.stateMachines ?? []) {
        const w = wanted.find((x) => x.name === m.name);
        if (w && m.stateMachineArn) arns.set(m.stateMachineArn, w.direction);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    if (arns.size === 0)
      throw new Error(`no state machine named ${wanted.map((w) => w.name).join(' or ')} in ${s.region}`);
    let newest: { arn: string; name: string; direction: LastRun['direction']; start: Date } | null = null;
    for (const [stateMachineArn, direction] of arns) {
      const res = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }));
      const e = res.executions?.[0];
      if (e?.executionArn && e.startDate && (!newest || e.startDate > newest.start))
        newest = { arn: e.executionArn, name: e.name ?? e.executionArn, direction, start: e.startDate };
    }
    if (!newest) return null;
    const d = await client.send(new DescribeExecutionCommand({ executionArn: newest.arn }));
    let outcome: string | null = d.error ?? null;
    if (!outcome && d.output)
      try {
        outcome = (JSON.parse(d.output) as { report?: { outcome?: string } }).report?.outcome ?? null;
      } catch {
        outcome = null;
      }
    return {
      name: newest.name,
      direction: newest.direction,
      status: d.status ?? 'UNKNOWN',
      outcome,
      startedAt: d.startDate?.toISOString() ?? null,
      stoppedAt: d.stopDate?.toISOString() ?? null,
    };
  };
}
