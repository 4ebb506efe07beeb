import { describe, expect, it } from 'vitest';
import { Notifications } from '../../../infra/aws/lib/constructs/notifications.ts';
import { Probe, relayAlarmPeriodSeconds } from '../../../infra/aws/lib/constructs/probe.ts';
import {
  deploy,
  functionDefaults,
  only,
  resources,
  statementsOf,
  TestStack,
  templateOf,
  topologyWith,
} from './support.ts';

function build(samplesPerMinute: number, topology = topologyWith()) {
  const stack = new TestStack();
  const [east, west] = topology.servers as [(typeof topology.servers)[0], (typeof topology.servers)[0]];
  const notifications = new Notifications(stack, 'Notifications', { topology, region: 'us-west-2' });
  const probe = new Probe(stack, 'Probe', {
    topology,
    own: west,
    peer: east,
    deploy: { ...deploy, probe: { ...deploy.probe, samplesPerMinute } },
    notifications,
    functions: functionDefaults(),
  });
  return { stack, probe, t: templateOf(stack) };
}

describe('health probe', () => {
  it('runs every minute without retries (a retried minute would overlap the next one)', () => {
    // prepare + act
    const { t } = build(6);
    // assess
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    const rule = only(t, 'AWS::Events::Rule');
    expect(rule.Properties.Targets[0].RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: 60,
      MaximumRetryAttempts: 0,
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
    const fn = only(t, 'AWS::Lambda::Function');
    expect(fn.Properties.Environment.Variables).toMatchObject({
      PROBE_SAMPLES: '6',
      PROBE_INTERVAL_SECONDS: '10',
    });
  });

  it('with self-managed Redis, alarms when its primary refuses writes (RedisRefusesWrites, 2 of 2 minutes); none with ElastiCache', () => {
    const selfManaged = topologyWith((doc) => {
      doc.redis = {
        kind: 'replicaof',
        members: {
          'us-east-1': { endpoint: 'redis-east.internal:6379' },
          'us-west-2': { endpoint: 'redis-west.internal:6379' },
        },
      };
    });
    build(6, selfManaged).t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'gloo-mgmt-redis-refuses-writes-mgmt-west',
      MetricName: 'RedisRefusesWrites',
      Dimensions: [
        { Name: 'ManagementCluster', Value: 'mgmt-west' },
        { Name: 'ProbeRegion', Value: 'us-west-2' },
      ],
      Statistic: 'Maximum',
      Threshold: 1,
      DatapointsToAlarm: 2,
      EvaluationPeriods: 2,
      TreatMissingData: 'notBreaching',
    });
    const names = resources(build(6).t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName);
    expect(names.filter((n) => n.includes('refuses-writes'))).toEqual([]);
  });

  it('alarms on the peer relay with the shortest period that holds a sample', () => {
    for (const [samples, period] of [
      [6, 10],
      [2, 30],
      [1, 60],
    ] as const) {
      // prepare + act
      const { t } = build(samples);
      // assess
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'gloo-mgmt-east-relay-down',
        MetricName: 'RelayReachable',
        Period: period,
        Dimensions: [
          { Name: 'ManagementCluster', Value: 'mgmt-east' },
          { Name: 'ProbeRegion', Value: 'us-west-2' },
        ],
      });
      expect(relayAlarmPeriodSeconds(samples)).toBe(period);
    }
  });

  it('may put metrics only in its own namespace and only put items in the clusters table', () => {
    // prepare + act
    const { t, probe } = build(6);
    // assess
    const statements = statementsOf(t, 'HealthProbeRole');
    const put = statements.find((s) => [s.Action].flat().includes('cloudwatch:PutMetricData'));
    expect(put.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'GlooFailover/Probes' } });
    const dynamo = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    expect(dynamo.map((s) => s.Action)).toEqual(['dynamodb:PutItem']);
    expect([dynamo[0].Resource].flat()).toContainEqual({
      'Fn::GetAtt': [resources(t, 'AWS::DynamoDB::Table')[0]![0], 'Arn'],
    });
    expect(probe.clustersTable).toBeDefined();
  });
});
