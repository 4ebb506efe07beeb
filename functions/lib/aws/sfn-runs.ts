/** {@link RunRegistry} on Step Functions: other executions of this deployment's state machines still RUNNING. */
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { RunningRun, RunRegistry } from '../wiring.ts';
import { callAws } from './errors.ts';

/** Lists RUNNING executions of the given state machines, except the caller's own. */
export class SfnRunRegistry implements RunRegistry {
  private readonly client: SFNClient;
  private readonly stateMachineArns: string[];
  constructor(client: SFNClient, stateMachineArns: string[]) {
    this.client = client;
    this.stateMachineArns = stateMachineArns;
  }

  async othersRunning(executionId: string): Promise<RunningRun[]> {
    const out: RunningRun[] = [];
    for (const stateMachineArn of this.stateMachineArns) {
      let nextToken: string | undefined;
      do {
        const res = await callAws('states:ListExecutions', () =>
          this.client.send(
            new ListExecutionsCommand({
              stateMachineArn,
              statusFilter: 'RUNNING',
              maxResults: 100,
              nextToken,
            }),
          ),
        );
        for (const e of res.executions ?? [])
          if (e.executionArn && e.executionArn !== executionId)
            out.push({
              id: e.executionArn,
              ...(e.startDate ? { startedAt: e.startDate.toISOString() } : {}),
            });
        nextToken = res.nextToken;
      } while (nextToken);
    }
    return out;
  }
}
