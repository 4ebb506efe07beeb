import { readFileSync } from 'node:fs';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { parseTopology } from '#lib/topology.ts';
import { Dashboard } from '../../../infra/aws/lib/constructs/dashboard.ts';
import { Notifications } from '../../../infra/aws/lib/constructs/notifications.ts';
import { Probe } from '../../../infra/aws/lib/constructs/probe.ts';
import { Readiness } from '../../../infra/aws/lib/constructs/readiness.ts';
import type { DeployConfig } from '../../../infra/aws/lib/deploy-config.ts';
import {
  deploy,
  functionDefaults,
  only,
  statementsOf,
  TestStack,
  templateOf,
  topologyWith,
} from './support.ts';

function build(readiness: Partial<DeployConfig['readiness']> = {}, topology = topologyWith()) {
  const stack = new TestStack();
  const [east, west] = topology.servers as [(typeof topology.servers)[0], (typeof topology.servers)[0]];
  const notifications = new Notifications(stack, 'Notifications', { topology, region: 'us-west-2' });
  const probe = new Probe(stack, 'Probe', {
    topology,
    own: west,
    peer: east,
    deploy,
    notifications,
    functions: functionDefaults(),
  });
  const r = new Readiness(stack, 'Readiness', {
    topology,
    own: west,
    deploy: { ...deploy, readiness: { ...deploy.readiness, ...readiness } },
    stateMachineArns: ['arn:aws:states:us-west-2:123456789012:stateMachine:gloo-mgmt-failover-to-mgmt-west'],
    clustersTable: dynamodb.Table.fromTableName(stack, 'Clusters', 'clusters'),
    notifications,
    functions: functionDefaults(),
  });
  new Dashboard(stack, 'Dashboard', { topology, probe, readiness: r, stateMachines: [], functions: {} });
  return { stack, r, t: templateOf(stack) };
}

const readinessStatements = (t: ReturnType<typeof build>['t']) => statementsOf(t, 'ReadinessRole');

describe('continuous readiness (CDK)', () => {
  it('runs on the deploy config rate (default 15 min) without retries', () => {
    expect(deploy.readiness.rateMinutes).toBe(15);
    build().t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [{ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 900 } }],
    });
    build({ rateMinutes: 5 }).t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
    });
  });

  it('alarms on FailoverReady < 1 for N evaluation periods, missing data breaching', () => {
    const { t } = build({ alarmPeriods: 3, rateMinutes: 10 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'gloo-mgmt-failover-not-ready-us-west-2',
      Namespace: 'GlooFailover/Readiness',
      MetricName: 'FailoverReady',
      Dimensions: [{ Name: 'Server', Value: 'mgmt-west' }],
      Statistic: 'Minimum',
      Period: 600,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
    });
  });

  it('may put events only with its own source on the default bus, and metrics only in its namespace', () => {
    const s = readinessStatements(build().t);
    const put = s.find((x) => x.Action === 'events:PutEvents');
    expect(put.Condition).toEqual({ StringEquals: { 'events:source': 'gloo-failover.readiness' } });
    expect(JSON.stringify(put.Resource)).toContain(':event-bus/default');
    const metric = s.find((x) => x.Action === 'cloudwatch:PutMetricData');
    expect(metric.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'GlooFailover/Readiness' } });
  });

  it('reads every secret of the topology and writes nothing but its metrics, its event and its failures', () => {
    const s = readinessStatements(build().t);
    const actions = [...new Set(s.flatMap((x) => [x.Action].flat()))].sort();
    expect(actions.filter((a) => !/^(logs|xray):/.test(a))).toEqual([
      'cloudwatch:DescribeAlarms',
      'cloudwatch:PutMetricData',
      'dynamodb:GetItem',
      'elasticache:DescribeGlobalReplicationGroups',
      'elasticache:DescribeReplicationGroups',
      'events:PutEvents',
      // Its asynchronous failures go to the KMS-encrypted notification topic.
      'kms:Decrypt',
      'kms:GenerateDataKey*',
      'route53:ListResourceRecordSets',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'sns:Publish',
      'states:ListExecutions',
    ]);
    const secrets = JSON.stringify(
      s.filter((x) => [x.Action].flat().includes('secretsmanager:GetSecretValue')),
    );
    for (const name of ['redis-auth', 'relay-root-ca', 'slack-bot-token', 'slack-signing-secret'])
      expect(secrets).toContain(`gloo-failover/${name}`);
  });

  it("reads the failover pair's two health checks and no other (the DnsPointer check's GetHealthCheck)", () => {
    const alias = JSON.parse(readFileSync('infra/topology.failover-alias.example.json', 'utf8'));
    const s = readinessStatements(build({}, parseTopology(alias)).t);
    const get = s.filter((x) => [x.Action].flat().includes('route53:GetHealthCheck'));
    expect(get.flatMap((x) => [x.Resource].flat()).map((r) => JSON.stringify(r))).toEqual(
      [alias.dns.failover.primary.healthCheckId, alias.dns.failover.secondary.healthCheckId].map((id) =>
        expect.stringContaining(`:route53:::healthcheck/${id}`),
      ),
    );
  });

  it('sets the server and the INSUFFICIENT_DATA bound in the environment', () => {
    const { t } = build({ insufficientDataMinutes: 45 });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { READINESS_SERVER: 'mgmt-west', READINESS_INSUFFICIENT_DATA_MINUTES: '45' },
      },
    });
  });

  it('adds a dashboard widget with FailoverReady and one line per check', () => {
    const d = only(build().t, 'AWS::CloudWatch::Dashboard');
    const parts = d.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const body = JSON.parse(parts.map((x) => (typeof x === 'string' ? x : 'REF')).join(''));
    const w = (body.widgets as { properties: { title: string; metrics: unknown[][] } }[]).find(
      (x) => x.properties.title === 'Failover readiness into mgmt-west (1 = ready)',
    );
    expect(w).toBeDefined();
    const m = w!.properties.metrics.map((x) => JSON.stringify(x));
    expect(m[0]).toContain('"FailoverReady"');
    expect(m.slice(1).map((x) => JSON.parse(x).at(-1).label)).toEqual([
      'Preflight',
      'TargetHealthy',
      'ReplicaLag',
      'SecretsReadable',
      'SlackAuth',
      'TriggerAlarms',
      'DnsPointer',
      'ReprotectRegistry',
    ]);
  });
});
