import {
  CloudWatchClient,
  CloudWatchServiceException,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudWatchAlarmStates } from '#lib/aws/cloudwatch-alarms.ts';
import { isNamed } from '#lib/errors.ts';

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

const alarms = () => new CloudWatchAlarmStates(new CloudWatchClient({ region: 'us-east-1' }));

function metric(name: string, state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'): MetricAlarm {
  return {
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
    StateValue: state,
    StateReason: 'Threshold Crossed: 3 datapoints were less than the threshold (1.0).',
    StateUpdatedTimestamp: new Date('2026-11-20T03:12:11Z'),
    MetricName: 'HealthyHostCount',
    Namespace: 'AWS/NetworkELB',
    Statistic: 'Minimum',
    Period: 10,
    EvaluationPeriods: 3,
    Threshold: 1,
    ComparisonOperator: 'LessThanThreshold',
  };
}

function composite(name: string, state: 'ALARM' | 'OK'): CompositeAlarm {
  return {
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
    AlarmRule: 'ALARM("mgmt-east-relay-down") AND ALARM("mgmt-east-health-down")',
    StateValue: state,
  };
}

describe('CloudWatchAlarmStates', () => {
  it('reads metric and composite alarms in one call and marks unknown names MISSING', async () => {
    // prepare
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metric('mgmt-east-relay-down', 'ALARM')],
      CompositeAlarms: [composite('mgmt-east-down', 'OK')],
    });
    // act
    const states = await alarms().states(['mgmt-east-relay-down', 'mgmt-east-down', 'deleted-alarm']);
    // assess
    expect(states).toEqual({
      'mgmt-east-relay-down': 'ALARM',
      'mgmt-east-down': 'OK',
      'deleted-alarm': 'MISSING',
    });
    expect(cw).toHaveReceivedCommandExactlyOnceWith(DescribeAlarmsCommand, {
      AlarmNames: ['mgmt-east-relay-down', 'mgmt-east-down', 'deleted-alarm'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
  });

  it('follows NextToken across pages', async () => {
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [metric('a', 'ALARM')], NextToken: 'page-2' })
      .resolvesOnce({ MetricAlarms: [metric('b', 'INSUFFICIENT_DATA')] });
    const states = await alarms().states(['a', 'b']);
    expect(states).toEqual({ a: 'ALARM', b: 'INSUFFICIENT_DATA' });
    expect(cw).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
    expect(cw).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 2, { NextToken: 'page-2' });
  });

  it('asks at most 100 names per call', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    const states = await alarms().states(names);
    expect(Object.values(states).every((s) => s === 'MISSING')).toBe(true);
    expect(cw).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
    expect(cw).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 2, { AlarmNames: names.slice(100) });
  });

  it('makes no call for no names', async () => {
    expect(await alarms().states([])).toEqual({});
    expect(cw).not.toHaveReceivedAnyCommand();
  });

  it('turns throttling into a TransientError', async () => {
    cw.on(DescribeAlarmsCommand).rejects(
      new CloudWatchServiceException({
        name: 'Throttling',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    const err = await alarms()
      .states(['a'])
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
    expect(err.details).toMatchObject({ action: 'cloudwatch:DescribeAlarms', awsError: 'Throttling' });
  });
});
