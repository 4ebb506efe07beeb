import '#local/quiet.ts';
import { readFileSync } from 'node:fs';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTriggerHandler } from '#functions/trigger/handler.ts';
import { isNamed } from '#lib/errors.ts';
import { loadTopology } from '#lib/topology.ts';
import { localLambdaContext } from '#local/slack-standin.ts';

const topology = loadTopology('infra/topology.example.json');
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/cloudwatch-alarm-state-change.json', import.meta.url), 'utf8'),
);
const stateMachineArn = 'arn:aws:states:us-west-2:123456789012:stateMachine:gloo-mgmt-failover-to-mgmt-west';
const executionArn = stateMachineArn.replace(':stateMachine:', ':execution:');
const sfn = mockClient(SFNClient);

/** The fixture event delivered again later, its alarm having gone to ALARM at `stateTimestamp`. */
function later(event: typeof fixture, stateTimestamp: string) {
  const e = structuredClone(event);
  e.id = `${e.id}-again`;
  e.time = stateTimestamp.replace(/\.\d+\+0000$/, 'Z');
  e.detail.state.timestamp = stateTimestamp;
  return e;
}
afterEach(() => sfn.reset());

/** The us-west-2 stack's trigger: it fails over to mgmt-west. */
const handler = buildTriggerHandler({
  topology: () => topology,
  sfn: () => new SFNClient({ region: 'us-west-2' }),
  stateMachineArn,
  targetServer: 'mgmt-west',
});
const invoke = (event: unknown) => handler(event, localLambdaContext('trigger'));

const expectedInput = {
  trigger: 'alarm',
  incidentId: 'mgmt-east-down-20261120T0300',
  dryRun: false,
  requestedBy: 'alarm:gloo-mgmt-east-relay-down',
  alarmName: 'gloo-mgmt-east-relay-down',
  force: { lock: false, skipVerification: false, dns: false, detachRedis: false },
};

describe('alarm trigger', () => {
  it('starts the failover with the incident name and input for the fixture alarm event', async () => {
    sfn.on(StartExecutionCommand).resolves({
      executionArn: `${executionArn}:failover-mgmt-east-down-20261120T0300`,
      startDate: new Date(),
    });
    const result = await invoke(fixture);
    expect(result).toMatchObject({ started: true, executionName: 'failover-mgmt-east-down-20261120T0300' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const sent = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(sent.stateMachineArn).toBe(stateMachineArn);
    expect(sent.name).toBe('failover-mgmt-east-down-20261120T0300');
    expect(JSON.parse(sent.input!)).toEqual(expectedInput);
  });

  it('treats a second event of the same incident as success without a second run', async () => {
    // Step Functions refuses a second execution of the same name (a different alarm, a re-sent event).
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({
        executionArn: `${executionArn}:failover-mgmt-east-down-20261120T0300`,
        startDate: new Date(),
      })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', startDate: new Date() });
    const first = await invoke(fixture);
    const second = await invoke(later(fixture, '2026-11-20T03:14:05.002+0000'));
    expect(first).toMatchObject({ started: true });
    expect(second).toEqual({
      started: false,
      alreadyRunning: true,
      executionName: 'failover-mgmt-east-down-20261120T0300',
      targetServer: 'mgmt-west',
    });
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names).toEqual(['failover-mgmt-east-down-20261120T0300', 'failover-mgmt-east-down-20261120T0300']);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: `${executionArn}:failover-mgmt-east-down-20261120T0300`,
    });
  });

  it('starts the next attempt when the alarm fires again after the incident run ended', async () => {
    // The first run judged a blip (OutageNotConfirmed) and ended at 03:13:30; the alarm fires again at 03:20.
    sfn
      .on(StartExecutionCommand, { name: 'failover-mgmt-east-down-20261120T0300' })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }))
      .on(StartExecutionCommand, { name: 'failover-mgmt-east-down-20261120T0300-r2' })
      .resolves({
        executionArn: `${executionArn}:failover-mgmt-east-down-20261120T0300-r2`,
        startDate: new Date(),
      });
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ status: 'SUCCEEDED', stopDate: new Date('2026-11-20T03:13:30Z') });
    const result = await invoke(later(fixture, '2026-11-20T03:20:00.000+0000'));
    expect(result).toMatchObject({
      started: true,
      executionName: 'failover-mgmt-east-down-20261120T0300-r2',
    });
  });

  it('starts nothing for a late duplicate of the event an ended run already handled', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ status: 'SUCCEEDED', stopDate: new Date('2026-11-20T03:13:30Z') });
    const result = await invoke(fixture); // the alarm went to ALARM at 03:12:41, before the run stopped
    expect(result).toMatchObject({
      started: false,
      reason: expect.stringMatching(/already handled this alarm/),
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('starts nothing when the alarm returns to OK', async () => {
    const ok = structuredClone(fixture);
    ok.detail.state.value = 'OK';
    const result = await invoke(ok);
    expect(result).toMatchObject({ started: false, reason: expect.stringMatching(/went to OK/) });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it("refuses to fail over away from its own region (the other region's trigger does that)", async () => {
    const own = structuredClone(fixture);
    own.detail.alarmName = 'gloo-mgmt-west-relay-down';
    const result = await invoke(own);
    expect(result).toMatchObject({ started: false, reason: expect.stringMatching(/mgmt-east/) });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('turns Step Functions throttling into TransientError so the event is retried', async () => {
    sfn.on(StartExecutionCommand).rejects(
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const err = await invoke(fixture).catch((e: unknown) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
  });

  it('refuses an event that is not a CloudWatch alarm state change, naming the field', async () => {
    const err = await invoke({ ...fixture, source: 'aws.health' }).catch((e: Error) => e);
    expect(isNamed(err, 'InvalidInput')).toBe(true);
    expect((err as Error).message).toMatch(/source/);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
