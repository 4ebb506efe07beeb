import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadinessReport } from '#functions/readiness/readiness.ts';
import { CloudWatchAlarmStates } from '#lib/aws/cloudwatch-alarms.ts';
import {
  AwsReadinessPublisher,
  READINESS_EVENT_DETAIL_TYPE,
  READINESS_EVENT_SOURCE,
  READINESS_NAMESPACE,
  SecretsManagerSecretReader,
} from '#lib/aws/readiness.ts';

const sm = mockClient(SecretsManagerClient);
const cw = mockClient(CloudWatchClient);
const eb = mockClient(EventBridgeClient);
afterEach(() => {
  sm.reset();
  cw.reset();
  eb.reset();
});

const report: ReadinessReport = {
  at: '2026-11-20T03:12:41.000Z',
  target: 'mgmt-west',
  region: 'us-west-2',
  ready: false,
  failed: ['SlackAuth'],
  checks: [
    { name: 'TargetHealthy', ok: true, reason: 'HTTP 200' },
    { name: 'SlackAuth', ok: false, reason: 'auth.test failed: invalid_auth' },
  ],
};
const publisher = () =>
  new AwsReadinessPublisher(
    new CloudWatchClient({ region: 'us-west-2' }),
    new EventBridgeClient({ region: 'us-west-2' }),
  );

describe('readiness on AWS', () => {
  it('reads a secret with GetSecretValue and never puts its value in an error', async () => {
    // prepare
    sm.on(GetSecretValueCommand, { SecretId: 'ok' }).resolves({ SecretString: 's3cr3t-value' });
    sm.on(GetSecretValueCommand, { SecretId: 'empty' }).resolves({});
    sm.on(GetSecretValueCommand, { SecretId: 'gone' }).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      }),
    );
    const reader = new SecretsManagerSecretReader(new SecretsManagerClient({ region: 'us-west-2' }));
    // act + assess
    await expect(reader.check('ok')).resolves.toBeUndefined();
    await expect(reader.check('empty')).rejects.toThrow('the secret has no value');
    await expect(reader.check('gone')).rejects.toThrow(
      "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    );
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      'ok',
      'empty',
      'gone',
    ]);
  });

  it('publishes FailoverReady and one CheckFailed per check with Server and Check dimensions', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    await publisher().publish(report);
    const put = cw.commandCalls(PutMetricDataCommand)[0]!.args[0].input;
    expect(put.Namespace).toBe(READINESS_NAMESPACE);
    expect(
      put.MetricData?.map((d) => [d.MetricName, d.Dimensions?.map((x) => x.Value).join('/'), d.Value]),
    ).toEqual([
      ['FailoverReady', 'mgmt-west', 0],
      ['CheckFailed', 'mgmt-west/TargetHealthy', 0],
      ['CheckFailed', 'mgmt-west/SlackAuth', 1],
    ]);
  });

  it('puts one event with the reasons on the default bus', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    await publisher().publish(report);
    const [entry] = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entry).toMatchObject({ Source: READINESS_EVENT_SOURCE, DetailType: READINESS_EVENT_DETAIL_TYPE });
    expect(entry!.EventBusName).toBeUndefined();
    expect(JSON.parse(entry!.Detail!)).toEqual(report);
  });

  it('fails when PutEvents rejects the entry (EventBridge user guide: failures are reported per entry)', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized' }],
    });
    await expect(publisher().publish(report)).rejects.toThrow(
      'events:PutEvents rejected the readiness event: AccessDeniedException not authorized',
    );
  });

  it('describes the trigger alarms with the time their state began, MISSING when absent', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'a',
          StateValue: 'INSUFFICIENT_DATA',
          StateUpdatedTimestamp: new Date('2026-11-20T02:00:00Z'),
        },
      ],
    });
    const d = await new CloudWatchAlarmStates(new CloudWatchClient({ region: 'us-west-2' })).details([
      'a',
      'b',
    ]);
    expect(d).toEqual({
      a: { state: 'INSUFFICIENT_DATA', since: Date.parse('2026-11-20T02:00:00Z') },
      b: { state: 'MISSING' },
    });
  });
});
