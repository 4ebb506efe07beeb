/**
 * The health probe of this region: a Lambda run every minute (samplesPerMinute samples inside)
 * that probes both management servers, records the clusters it sees in the last-seen table, and
 * publishes the metrics behind the relay alarm about the peer (the one that starts a failover),
 * the agents alarm (notification only) and an alarm on the probe's own errors.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type { Construct } from 'constructs';
import { PROBE_NAMESPACE } from '#functions/health-probe/health-probe.ts';
import type { Server, Topology } from '#lib/topology.ts';
import { type DeployConfig, relayAlarmPeriodSeconds } from '../deploy-config.ts';
import { relayAlarmName } from '../names.ts';
import { ELASTICACHE_DESCRIBE, elastiCacheArns, grantRedisAuth } from './access.ts';
import { Concern } from './concern.ts';
import type { Notifications } from './notifications.ts';
import { acknowledgeAsync, type FunctionDefaults, type StepFunction, stepFunction } from './step-function.ts';

/** Props of {@link Probe}. */
export interface ProbeProps {
  topology: Topology;
  /** The server of this stack's region (failovers go into it). */
  own: Server;
  /** The other server (the relay alarm is about it). */
  peer: Server;
  deploy: DeployConfig;
  notifications: Notifications;
  functions: FunctionDefaults;
}

export { relayAlarmPeriodSeconds };

/** The probe, its schedule, its table and its alarms. */
export class Probe extends Concern {
  /** The probe function. */
  readonly function: StepFunction;
  /** The last-seen clusters table (written by the probe, read by preflight). */
  readonly clustersTable: dynamodb.Table;
  /** The relay alarm about the peer (M of N samples). */
  readonly relayAlarm: cloudwatch.Alarm;
  /** Agents connected to either server, as the probe sees them. */
  readonly agentsConnected: cloudwatch.MathExpression;

  constructor(scope: Construct, id: string, props: ProbeProps) {
    super(scope, id);
    const { topology: t, own, peer, deploy, notifications } = props;
    const region = Stack.of(this).region;
    this.clustersTable = new dynamodb.Table(this, 'Clusters', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const samples = deploy.probe.samplesPerMinute;
    this.function = stepFunction(this, 'healthProbe', props.functions, {
      ...props.functions.environment,
      CLUSTER_TABLE_NAME: this.clustersTable.tableName,
      PROBE_CLUSTERS: t.servers.map((s) => s.id).join(','),
      PROBE_SAMPLES: String(samples),
      PROBE_INTERVAL_SECONDS: String(Math.floor(60 / samples)),
      PROBE_TIMEOUT_MS: String(Math.min(t.verification.probeTimeoutMs, 5_000)),
    });
    // Its fencing pass reads the Redis members' roles.
    grantRedisAuth(this, t, deploy, [this.function]);
    const ec = elastiCacheArns(Stack.of(this), t);
    if (ec.length) this.function.allow(ELASTICACHE_DESCRIBE, ec);
    this.clustersTable.grant(this.function.role, 'dynamodb:PutItem');
    this.function.allow(['cloudwatch:PutMetricData'], ['*'], {
      StringEquals: { 'cloudwatch:namespace': PROBE_NAMESPACE },
    });
    acknowledgeAsync(this.function);

    const probe = this.function.fn;
    probe.configureAsyncInvoke({
      onFailure: new destinations.SnsDestination(notifications.topic),
      // A retried minute would overlap the next scheduled one.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(60),
    });
    new events.Rule(this, 'ProbeSchedule', {
      description: `Probe ${t.servers.map((s) => s.id).join(' and ')} from ${region} every minute`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(probe, {
          deadLetterQueue: notifications.deadLetters,
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });

    const relay = deploy.probe.relayAlarm;
    const relayPeriod = Duration.seconds(relayAlarmPeriodSeconds(samples));
    this.relayAlarm = new cloudwatch.Alarm(this, 'PeerRelayAlarm', {
      alarmName: relayAlarmName(t, peer),
      alarmDescription: `Relay port of ${peer.id} (${peer.region}) is unreachable from the ${region} probe (${relay.datapointsToAlarm} of ${relay.evaluationPeriods} x ${relayPeriod.toSeconds()} s). Starts a failover to ${own.id} when the name is one of the topology's alarmNames for ${peer.id}.`,
      metric: this.metric('RelayReachable', peer.id, relayPeriod, 'Minimum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      datapointsToAlarm: relay.datapointsToAlarm,
      evaluationPeriods: relay.evaluationPeriods,
      // A probe that does not report is not evidence of an outage (its own alarm says so).
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.relayAlarm.addAlarmAction(notifications.notify);
    this.relayAlarm.addOkAction(notifications.notify);

    const agents = deploy.probe.agentsAlarm;
    this.agentsConnected = new cloudwatch.MathExpression({
      expression: t.servers.map((_, i) => `FILL(a${i}, 0)`).join(' + '),
      usingMetrics: Object.fromEntries(
        t.servers.map((s, i) => [
          `a${i}`,
          this.metric('AgentsConnected', s.id, Duration.minutes(1), 'Maximum'),
        ]),
      ),
      label: 'Agents connected to either management server',
      period: Duration.minutes(1),
    });
    new cloudwatch.Alarm(this, 'AgentsAlarm', {
      alarmName: `${t.name}-agents-disconnected-${region}`,
      alarmDescription: `Fewer than ${agents.minAgents} agent clusters are connected to any management server, as seen from ${region} (${agents.datapointsToAlarm} of ${agents.evaluationPeriods} minutes). Notification only.`,
      metric: this.agentsConnected,
      threshold: agents.minAgents,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      datapointsToAlarm: agents.datapointsToAlarm,
      evaluationPeriods: agents.evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }).addAlarmAction(notifications.notify);
    if (t.redis.kind === 'replicaof')
      new cloudwatch.Alarm(this, 'RedisRefusesWritesAlarm', {
        alarmName: `${t.name}-redis-refuses-writes-${own.id}`,
        alarmDescription: `The Redis primary in ${own.region} refuses writes by itself (min-replicas-to-write and no good replica): ${own.id} cannot write until a replica is back in sync, or the fence is lowered by hand (CONFIG SET min-replicas-to-write 0). See docs/reliability.md. Notification only.`,
        metric: this.metric('RedisRefusesWrites', own.id, Duration.minutes(1), 'Maximum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        datapointsToAlarm: 2,
        evaluationPeriods: 2,
        // Published only while the member is a primary: no data is no refusal.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(notifications.notify);
    new cloudwatch.Alarm(this, 'ProbeErrorsAlarm', {
      alarmName: `${t.name}-probe-failing-${region}`,
      alarmDescription: `The ${region} health probe fails: alarm-triggered failover to ${own.id} is blind.`,
      metric: probe.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      datapointsToAlarm: 3,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notifications.notify);
  }

  /** A probe metric about one server, as seen from this region. */
  metric(name: string, cluster: string, period: Duration, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: PROBE_NAMESPACE,
      metricName: name,
      dimensionsMap: { ManagementCluster: cluster, ProbeRegion: Stack.of(this).region },
      period,
      statistic,
    });
  }
}
