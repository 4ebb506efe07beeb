/**
 * The last run into a server on AWS, read-only (aws-sdk-client-mock): ListStateMachines to find the
 * region's machines by name, ListExecutions (newest first, maxResults 1), DescribeExecution for the
 * end state. Step Functions API reference: ListExecutions returns executions newest first;
 * DescribeExecution carries `error` for a failed execution and `output` for a succeeded one.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTopology } from '#lib/topology.ts';
import { awsLastRunReader } from '../../infra/ops/aws-last-run.ts';

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());
const t = loadTopology('infra/topology.example.json');
const client = new SFNClient({
  region: 'us-west-2',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const west = t.servers.find((s) => s.id !== t.homeServer)!;
const arn = (name: string) => `arn:aws:states:us-west-2:123456789012:stateMachine:${name}`;

describe('the last run on AWS', () => {
  it("reads the newest execution of the server's failover machine and its end state", async () => {
    // prepare
    const machine = `${t.name}-failover-to-${west.id}`;
    sfn.on(ListStateMachinesCommand).resolves({
      stateMachines: [
        { name: 'unrelated', stateMachineArn: arn('unrelated'), type: 'STANDARD', creationDate: new Date() },
        { name: machine, stateMachineArn: arn(machine), type: 'STANDARD', creationDate: new Date() },
      ],
    });
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: `${arn(machine).replace('stateMachine', 'execution')}:INC-9`,
          stateMachineArn: arn(machine),
          name: 'INC-9',
          status: 'FAILED',
          startDate: new Date('2026-11-29T03:00:00Z'),
        },
      ],
    });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: 'x',
      stateMachineArn: arn(machine),
      status: 'FAILED',
      error: 'ReconnectIncomplete',
      startDate: new Date('2026-11-29T03:00:00Z'),
      stopDate: new Date('2026-11-29T03:09:00Z'),
    });
    // act
    const last = await awsLastRunReader(t, () => client)(west);
    // assess
    expect(last).toEqual({
      name: 'INC-9',
      direction: 'failover',
      status: 'FAILED',
      outcome: 'ReconnectIncomplete',
      startedAt: '2026-11-29T03:00:00.000Z',
      stoppedAt: '2026-11-29T03:09:00.000Z',
    });
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, {
      stateMachineArn: arn(machine),
      maxResults: 1,
    });
    for (const c of sfn.calls()) expect(c.args[0].constructor.name).toMatch(/^(List|Describe)/);
  });

  it('says so when the stack is not deployed in that region', async () => {
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    await expect(awsLastRunReader(t, () => client)(west)).rejects.toThrow(
      /no state machine named .*failover-to/,
    );
  });
});
