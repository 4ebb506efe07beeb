/**
 * Continuous readiness of this region: a function on an EventBridge schedule (deploy config
 * `readiness.rateMinutes`) that runs a dry-run preflight of a failover into this region's server
 * plus configuration checks, publishes `FailoverReady` and `CheckFailed` (namespace
 * GlooFailover/Readiness) and puts a `Failover Readiness Evaluated` event on the default bus; an
 * alarm when not ready for `readiness.alarmPeriods` evaluations (a silent function counts as not
 * ready). Every grant is read-only but the metric namespace and the event source.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type { Construct } from 'constructs';
import { READINESS_CHECKS, topologySecrets } from '#functions/readiness/readiness.ts';
import { READINESS_EVENT_SOURCE, READINESS_NAMESPACE } from '#lib/aws/readiness.ts';
import { bareHostedZoneId } from '#lib/dns-record.ts';
import type { Server, Topology } from '#lib/topology.ts';
import type { DeployConfig } from '../deploy-config.ts';
import { acknowledge } from '../nag.ts';
import { ELASTICACHE_DESCRIBE, elastiCacheArns, grantSecret, secretRef } from './access.ts';
import { Concern } from './concern.ts';
import type { Notifications } from './notifications.ts';
import { acknowledgeAsync, type FunctionDefaults, type StepFunction, stepFunction } from './step-function.ts';

/** Props of {@link Readiness}. */
export interface ReadinessProps {
  topology: Topology;
  /** The server of this stack's region (the failover evaluated goes into it). */
  own: Server;
  deploy: DeployConfig;
  /** This region's state machines (preflight refuses while one of them runs). */
  stateMachineArns: string[];
  /** The last-seen clusters table (preflight reads the expected clusters). */
  clustersTable: dynamodb.ITable;
  notifications: Notifications;
  functions: FunctionDefaults;
}

/** The readiness function, its schedule and its alarm. */
export class Readiness extends Concern {
  /** The readiness function. */
  readonly function: StepFunction;
  /** FailoverReady < 1 for `alarmPeriods` evaluations. */
  readonly alarm: cloudwatch.Alarm;
  /** The server evaluated. */
  readonly server: string;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: ReadinessProps) {
    super(scope, id);
    const { topology: t, own, deploy, notifications } = props;
    const stack = Stack.of(this);
    const cfg = deploy.readiness;
    this.server = own.id;
    this.period = Duration.minutes(cfg.rateMinutes);
    this.function = stepFunction(this, 'readiness', props.functions, {
      ...props.functions.environment,
      READINESS_SERVER: own.id,
      READINESS_INSUFFICIENT_DATA_MINUTES: String(cfg.insufficientDataMinutes),
    });
    const fn = this.function;

    // Read-only: the topology's secrets (readable?), Redis roles, the DNS record, other runs, the
    // last-seen clusters, the trigger alarms.
    for (const [i, ref] of topologySecrets(t).entries())
      grantSecret(secretRef(this, `Secret${i}`, ref), fn, deploy);
    const ec = elastiCacheArns(stack, t);
    if (ec.length) fn.allow(ELASTICACHE_DESCRIBE, ec);
    if (t.dns.provider.kind === 'route53')
      fn.allow(
        ['route53:ListResourceRecordSets'],
        [`arn:${stack.partition}:route53:::hostedzone/${bareHostedZoneId(t.dns.provider.hostedZoneId)}`],
      );
    // The failover pair's health checks, as the DnsPointer check reads them (GetHealthCheck, a
    // control-plane read; resource type healthcheck: Service Authorization Reference, Route 53).
    // With dns.create the DNS stack makes them and their ids are unknown here: any health check.
    const pair = t.dns.failover;
    if (t.dns.provider.kind === 'route53' && pair) {
      const ids = [pair.primary.healthCheckId, pair.secondary.healthCheckId];
      const known = ids.every((id) => id !== undefined);
      fn.allow(
        ['route53:GetHealthCheck'],
        (known ? ids : ['*']).map((id) => `arn:${stack.partition}:route53:::healthcheck/${id}`),
      );
      if (!known)
        acknowledge(
          fn.role,
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::healthcheck/*]',
          'dns.create: the DNS stack creates the failover health checks, so their ids are unknown to this stack; route53:GetHealthCheck is read-only.',
        );
    }
    fn.allow(['states:ListExecutions'], props.stateMachineArns);
    fn.allow(['dynamodb:GetItem'], [props.clustersTable.tableArn]);
    fn.allow(['cloudwatch:DescribeAlarms'], ['*']);
    acknowledge(
      fn.role,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudwatch:DescribeAlarms (read-only) must be scoped to * to return composite alarms (DescribeAlarms API reference); cloudwatch:PutMetricData has no resource-level permission and is limited to the readiness namespace by the cloudwatch:namespace condition.',
    );
    // Writes: only its own metric namespace and its own event source on the default bus.
    fn.allow(['cloudwatch:PutMetricData'], ['*'], {
      StringEquals: { 'cloudwatch:namespace': READINESS_NAMESPACE },
    });
    fn.allow(
      ['events:PutEvents'],
      [`arn:${stack.partition}:events:${stack.region}:${stack.account}:event-bus/default`],
      {
        StringEquals: { 'events:source': READINESS_EVENT_SOURCE },
      },
    );
    acknowledgeAsync(fn);

    fn.fn.configureAsyncInvoke({
      onFailure: new destinations.SnsDestination(notifications.topic),
      // The next scheduled evaluation is the retry.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(Math.min(cfg.rateMinutes, 360)),
    });
    new events.Rule(this, 'ReadinessSchedule', {
      description: `Readiness of a failover into ${own.id} (${own.region}) every ${cfg.rateMinutes} min`,
      schedule: events.Schedule.rate(this.period),
      targets: [
        new targets.LambdaFunction(fn.fn, {
          deadLetterQueue: notifications.deadLetters,
          retryAttempts: 0,
          maxEventAge: Duration.minutes(Math.min(cfg.rateMinutes, 1440)),
        }),
      ],
    });

    this.alarm = new cloudwatch.Alarm(this, 'NotReadyAlarm', {
      alarmName: `${t.name}-failover-not-ready-${own.region}`,
      alarmDescription: `A failover into ${own.id} (${own.region}) would not pass its checks (${cfg.alarmPeriods} evaluations of ${cfg.rateMinutes} min); the reasons are in the readiness event and the function's log. Missing data (the function did not report) counts as not ready.`,
      metric: this.readyMetric(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: cfg.alarmPeriods,
      datapointsToAlarm: cfg.alarmPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.alarm.addAlarmAction(notifications.notify);
    this.alarm.addOkAction(notifications.notify);
  }

  /** `FailoverReady` of this region's server (Minimum over one evaluation period). */
  readyMetric(): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: READINESS_NAMESPACE,
      metricName: 'FailoverReady',
      dimensionsMap: { Server: this.server },
      period: this.period,
      statistic: 'Minimum',
    });
  }

  /** `CheckFailed` of each named check (1 = failed). */
  checkMetrics(): cloudwatch.Metric[] {
    return READINESS_CHECKS.map(
      (c) =>
        new cloudwatch.Metric({
          namespace: READINESS_NAMESPACE,
          metricName: 'CheckFailed',
          dimensionsMap: { Server: this.server, Check: c },
          period: this.period,
          statistic: 'Maximum',
          label: c,
        }),
    );
  }
}
