/**
 * One stack per region that can become active. It holds everything a failover INTO this region
 * needs, so a run never depends on the region that is down: the failover workflow (peer -> this
 * region's cluster), its Lambdas, the alarm trigger, the health probe of the peer and its alarms,
 * the approvals table and Slack endpoint, the notification topic and a dashboard. The home
 * cluster's region also holds the failback workflow (failback always returns to the home cluster,
 * so it fails *into* that region, and it only runs when that region is healthy again).
 */
import {
  Annotations,
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { PROBE_NAMESPACE } from '#functions/health-probe/health-probe.ts';
import { peerOf, type Server, type Topology } from '#lib/topology.ts';
import { WORKFLOW_FUNCTION_KEYS, type WorkflowFunctions } from '#workflows/definition.ts';
import { type Route, workflowFor, workflowOptions } from '#workflows/from-topology.ts';
import type { SdkMode } from './bundling.ts';
import { StepFunction, type VpcPlacement } from './constructs/step-function.ts';
import type { DeployConfig } from './deploy-config.ts';
import type { FunctionKey } from './functions.ts';
import { acknowledge } from './nag.ts';

/** The workflow function keys, in `WorkflowFunctions` order. */
export const WORKFLOW_KEYS = WORKFLOW_FUNCTION_KEYS satisfies readonly (keyof WorkflowFunctions &
  FunctionKey)[];

/** The ASL placeholder of a function's ARN (`${preflight}`), replaced through DefinitionSubstitutions. */
export const placeholder = (key: string) => `\${${key}}`;

/** The workflow functions as placeholders, as the state machines are defined. */
export const PLACEHOLDER_FUNCTIONS = Object.fromEntries(
  WORKFLOW_KEYS.map((k) => [k, placeholder(k)]),
) as unknown as WorkflowFunctions;

/** Props of {@link RegionalStack}. */
export interface RegionalStackProps extends StackProps {
  topology: Topology;
  /** The topology document as written (set as TOPOLOGY_JSON; the handlers apply the defaults). */
  topologyDocument: unknown;
  /** The management server of this stack's region: the cluster this region's failover activates. */
  server: Server;
  deploy: DeployConfig;
  /** @default 'bundled' */
  sdkMode?: SdkMode;
  /** Prebuilt code per function instead of bundling (tests). @default bundle with esbuild */
  codeFor?: (key: FunctionKey) => lambda.Code | undefined;
}

/** The name of a state machine of this deployment. */
export function stateMachineName(t: Topology, route: Route): string {
  return `${t.name}-${route.direction}-to-${route.direction === 'failback' ? t.homeServer : route.targetServer}`;
}

/** The name of the relay alarm this region raises about `peer` (the first of its alarm names). */
export function relayAlarmName(t: Topology, peer: Server): string {
  return peer.alarmNames[0] ?? `${t.name}-${peer.id}-relay-unreachable`;
}

const strip = (zone: string) => zone.replace(/^\/hostedzone\//, '');
const portOf = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
const urlPort = (u: string) => {
  const url = new URL(u);
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
};

/** The regional stack; see the module comment. */
export class RegionalStack extends Stack {
  /** The functions by key (only those this region deploys). */
  readonly functions: Partial<Record<FunctionKey, StepFunction>> = {};
  /** The state machines by direction. */
  readonly stateMachines: { failover: sfn.StateMachine; failback?: sfn.StateMachine };
  /** The run-notification topic. */
  readonly topic: sns.Topic;
  /** The approval token table. */
  readonly approvalsTable: dynamodb.Table;
  /** The last-seen clusters table (written by the health probe). */
  readonly clustersTable: dynamodb.Table;
  /** The EventBridge rule that starts a failover on the peer's alarms (absent without alarm names). */
  readonly alarmRule?: events.Rule;
  /** The relay alarm about the peer (the probe's, M of N). */
  readonly relayAlarm: cloudwatch.Alarm;
  /** The Slack interactivity endpoint (absent when approvals.slack is not configured). */
  readonly slackCallbackUrl?: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const t = props.topology;
    const own = props.server;
    const peer = peerOf(t, own.id);
    const region = own.region;
    const isHome = own.id === t.homeServer;
    const retention = props.deploy.logRetentionDays as logs.RetentionDays;

    // ---------------------------------------------------------------------------------------
    // Notifications: an encrypted topic that refuses publishers without TLS.
    const key = new kms.Key(this, 'NotifyKey', {
      description: `gloo-failover ${t.name}: run notifications and alarms`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch alarms publish to the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Notifications', {
      displayName: `gloo-failover ${t.name} (${region})`,
      masterKey: key,
      enforceSSL: true,
    });

    // ---------------------------------------------------------------------------------------
    // Tables.
    this.approvalsTable = new dynamodb.Table(this, 'Approvals', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.clustersTable = new dynamodb.Table(this, 'Clusters', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // ---------------------------------------------------------------------------------------
    // Network placement (the topology has no VPC fields: the deploy config gives them).
    const placement = this.placement(t, props.deploy);

    // ---------------------------------------------------------------------------------------
    // State machine ARNs, built from their names: preflight needs them (STATE_MACHINE_ARNS, to
    // refuse a second concurrent run) and the state machines need preflight's ARN. Naming the
    // machines and formatting their ARNs breaks that cycle without a custom resource.
    const failoverRoute: Route = { direction: 'failover', targetServer: own.id };
    const failbackRoute: Route = { direction: 'failback', targetServer: t.homeServer };
    const routes = isHome ? [failoverRoute, failbackRoute] : [failoverRoute];
    const smArn = (route: Route) =>
      this.formatArn({
        service: 'states',
        resource: 'stateMachine',
        resourceName: stateMachineName(t, route),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const stateMachineArns = routes.map(smArn);

    // ---------------------------------------------------------------------------------------
    // Functions.
    const common: Record<string, string> = {
      TOPOLOGY_JSON: JSON.stringify(props.topologyDocument),
      POWERTOOLS_SERVICE_NAME: 'gloo-failover',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    const stepEnv = {
      ...common,
      CLUSTER_TABLE_NAME: this.clustersTable.tableName,
      STATE_MACHINE_ARNS: stateMachineArns.join(','),
    };
    const slack = t.approvals.slack;
    const keys: FunctionKey[] = [
      'preflight',
      'verifyOutage',
      ...(isHome ? (['verifyRecovered'] as const) : []),
      'promoteRedis',
      'switchLock',
      'repointDns',
      'confirmReconnect',
      'report',
      ...(slack ? (['requestApproval', 'slackCallback'] as const) : []),
      'trigger',
      'healthProbe',
    ];
    const verifyTimeout =
      workflowOptions(t, failoverRoute, PLACEHOLDER_FUNCTIONS).verifyTimeoutSeconds ?? 120;
    const samples = props.deploy.probe.samplesPerMinute;
    const envFor = (k: FunctionKey): Record<string, string> => {
      switch (k) {
        case 'report':
          return { ...stepEnv, NOTIFY_TOPIC_ARN: this.topic.topicArn };
        case 'requestApproval':
        case 'slackCallback':
          return { ...common, APPROVALS_TABLE: this.approvalsTable.tableName };
        case 'trigger':
          return { ...common, FAILOVER_STATE_MACHINE_ARN: smArn(failoverRoute), TARGET_SERVER: own.id };
        case 'healthProbe':
          return {
            ...common,
            CLUSTER_TABLE_NAME: this.clustersTable.tableName,
            PROBE_CLUSTERS: t.servers.map((s) => s.id).join(','),
            PROBE_SAMPLES: String(samples),
            PROBE_INTERVAL_SECONDS: String(Math.floor(60 / samples)),
            PROBE_TIMEOUT_MS: String(Math.min(t.verification.probeTimeoutMs, 5_000)),
          };
        default:
          return stepEnv;
      }
    };
    for (const k of keys)
      this.functions[k] = new StepFunction(this, pascal(k), {
        key: k,
        environment: envFor(k),
        logRetention: retention,
        placement,
        sdkMode: props.sdkMode,
        code: props.codeFor?.(k),
        ...(k === 'verifyOutage' || k === 'verifyRecovered'
          ? { timeout: Duration.seconds(Math.max(10, Math.min(900, verifyTimeout - 5))) }
          : {}),
      });
    const fns = this.functions as Record<FunctionKey, StepFunction>;
    this.grantStepPermissions(t, own.id, stateMachineArns, props.deploy);
    this.acknowledgeSynchronous(keys);
    // Publishing to the encrypted topic (report, and the async failure destinations).
    for (const k of ['report', 'trigger', 'healthProbe'] as const)
      acknowledge(
        fns[k].role,
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        "sns:Publish to the KMS-encrypted notification topic: topic.grantPublish grants kms:Decrypt and kms:GenerateDataKey* (the data-key variants SNS uses) on that one key's ARN only.",
      );

    // ---------------------------------------------------------------------------------------
    // Workflows: the ASL from workflows/, Lambda ARNs substituted at deploy time.
    const failover = this.workflow('FailoverWorkflow', t, failoverRoute, retention);
    const failback = isHome ? this.workflow('FailbackWorkflow', t, failbackRoute, retention) : undefined;
    this.stateMachines = { failover, ...(failback ? { failback } : {}) };

    // ---------------------------------------------------------------------------------------
    // Trigger: the peer's alarms -> one failover execution per incident.
    const dlq = new sqs.Queue(this, 'EventsDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(
      dlq,
      ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      'This queue IS the dead-letter queue of the EventBridge targets (undeliverable alarm and schedule events); a DLQ has no DLQ of its own. An alarm notifies when it holds anything.',
    );
    fns.trigger.fn.configureAsyncInvoke({
      onFailure: new destinations.SnsDestination(this.topic),
      retryAttempts: 2,
      maxEventAge: Duration.minutes(30),
    });
    // decide() only starts runs for the topology's alarm names; the probe's relay alarm is the first.
    const alarmNames = peer.alarmNames;
    if (alarmNames.length > 0) {
      this.alarmRule = new events.Rule(this, 'AlarmTrigger', {
        description: `Alarms that mean ${peer.id} (${peer.region}) is down start a failover to ${own.id}`,
        eventPattern: alarmEventPattern(alarmNames),
        targets: [
          new targets.LambdaFunction(fns.trigger.fn, {
            deadLetterQueue: dlq,
            retryAttempts: 4,
            maxEventAge: Duration.hours(1),
          }),
        ],
      });
    } else
      Annotations.of(this).addWarningV2(
        'gloo-failover:noAlarmTrigger',
        `no alarmNames for ${peer.id}: alarm-triggered failover to ${own.id} is off (start runs by hand)`,
      );

    // ---------------------------------------------------------------------------------------
    // Health probe every minute (samplesPerMinute samples inside), its metrics and alarms.
    const probe = fns.healthProbe.fn;
    probe.configureAsyncInvoke({
      onFailure: new destinations.SnsDestination(this.topic),
      // A retried minute would overlap the next scheduled one.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(60),
    });
    new events.Rule(this, 'ProbeSchedule', {
      description: `Probe ${t.servers.map((s) => s.id).join(' and ')} from ${region} every minute`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(probe, {
          deadLetterQueue: dlq,
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });
    const probeMetric = (name: string, cluster: string, period: Duration, statistic: string) =>
      new cloudwatch.Metric({
        namespace: PROBE_NAMESPACE,
        metricName: name,
        dimensionsMap: { ManagementCluster: cluster, ProbeRegion: region },
        period,
        statistic,
      });
    const notify = new cwActions.SnsAction(this.topic);
    const relay = props.deploy.probe.relayAlarm;
    const relayPeriod = Duration.seconds(relayAlarmPeriodSeconds(samples));
    this.relayAlarm = new cloudwatch.Alarm(this, 'PeerRelayAlarm', {
      alarmName: relayAlarmName(t, peer),
      alarmDescription: `Relay port of ${peer.id} (${peer.region}) is unreachable from the ${region} probe (${relay.datapointsToAlarm} of ${relay.evaluationPeriods} x ${relayPeriod.toSeconds()} s). Starts a failover to ${own.id} when the name is one of the topology's alarmNames for ${peer.id}.`,
      metric: probeMetric('RelayReachable', peer.id, relayPeriod, 'Minimum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      datapointsToAlarm: relay.datapointsToAlarm,
      evaluationPeriods: relay.evaluationPeriods,
      // A probe that does not report is not evidence of an outage (its own alarm says so).
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.relayAlarm.addAlarmAction(notify);
    this.relayAlarm.addOkAction(notify);

    const agents = props.deploy.probe.agentsAlarm;
    const agentsExpr = new cloudwatch.MathExpression({
      expression: t.servers.map((_, i) => `FILL(a${i}, 0)`).join(' + '),
      usingMetrics: Object.fromEntries(
        t.servers.map((s, i) => [
          `a${i}`,
          probeMetric('AgentsConnected', s.id, Duration.minutes(1), 'Maximum'),
        ]),
      ),
      label: 'Agents connected to either management server',
      period: Duration.minutes(1),
    });
    new cloudwatch.Alarm(this, 'AgentsAlarm', {
      alarmName: `${t.name}-agents-disconnected-${region}`,
      alarmDescription: `Fewer than ${agents.minAgents} agent clusters are connected to any management server, as seen from ${region} (${agents.datapointsToAlarm} of ${agents.evaluationPeriods} minutes). Notification only.`,
      metric: agentsExpr,
      threshold: agents.minAgents,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      datapointsToAlarm: agents.datapointsToAlarm,
      evaluationPeriods: agents.evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }).addAlarmAction(notify);
    new cloudwatch.Alarm(this, 'ProbeErrorsAlarm', {
      alarmName: `${t.name}-probe-failing-${region}`,
      alarmDescription: `The ${region} health probe fails: alarm-triggered failover to ${own.id} is blind.`,
      metric: probe.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      datapointsToAlarm: 3,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);
    new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmName: `${t.name}-undelivered-events-${region}`,
      alarmDescription:
        'An alarm or schedule event could not be delivered to its Lambda (see the dead-letter queue).',
      metric: dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);
    for (const [name, machine] of Object.entries(this.stateMachines))
      new cloudwatch.Alarm(this, `${pascal(name)}RunFailedAlarm`, {
        alarmName: `${t.name}-${name}-failed-${region}`,
        alarmDescription: `A ${name} run into ${region} ended in a Fail state (see its report on the topic).`,
        metric: machine.metricFailed({ period: Duration.minutes(1), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(notify);

    // ---------------------------------------------------------------------------------------
    // Slack interactivity endpoint: auth NONE, the Slack signature (checked in code) is the auth.
    if (fns.slackCallback) {
      this.slackCallbackUrl = fns.slackCallback.fn.addFunctionUrl({
        authType: lambda.FunctionUrlAuthType.NONE,
      });
      new CfnOutput(this, 'SlackInteractivityUrl', {
        value: this.slackCallbackUrl.url,
        description: `Request URL of the Slack app of ${region} (Interactivity & Shortcuts)`,
      });
    }

    // ---------------------------------------------------------------------------------------
    // Dashboard: probe metrics, runs, step durations.
    this.dashboard(t, region, probeMetric, agentsExpr);

    new CfnOutput(this, 'FailoverStateMachineArn', { value: failover.stateMachineArn });
    if (failback) new CfnOutput(this, 'FailbackStateMachineArn', { value: failback.stateMachineArn });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn });
  }

  /** The VPC placement of this region from the deploy config, or none. */
  private placement(t: Topology, deploy: DeployConfig): VpcPlacement | undefined {
    const region = this.region as keyof DeployConfig['regions'];
    const net = deploy.regions[region];
    if (!net) {
      Annotations.of(this).addWarningV2(
        'gloo-failover:noVpc',
        `no network for ${region} in the deploy config: functions run outside any VPC`,
      );
      return undefined;
    }
    const zones = [...new Set(net.subnets.map((s) => s.availabilityZone ?? `${region}-unknown`))];
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: net.vpcId, availabilityZones: zones });
    const subnets = net.subnets.map((s, i) => {
      const subnet = ec2.Subnet.fromSubnetAttributes(this, `Subnet${i}`, {
        subnetId: s.subnetId,
        ...(s.availabilityZone ? { availabilityZone: s.availabilityZone } : {}),
      });
      acknowledge(
        subnet,
        'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        'The subnet only places Lambda ENIs; this stack adds no routes, so its route table is never read.',
      );
      return subnet;
    });
    let securityGroups: ec2.ISecurityGroup[];
    if (net.securityGroupIds.length > 0)
      securityGroups = net.securityGroupIds.map((id, i) =>
        ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, id, { mutable: false }),
      );
    else {
      const sg = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
        vpc,
        description: `gloo-failover ${t.name}: Lambdas reaching Redis, the management servers and AWS APIs`,
        allowAllOutbound: false,
      });
      const ports = new Set<number>([443]);
      for (const s of t.servers) {
        ports.add(portOf(s.relayAddress));
        ports.add(urlPort(s.metricsUrl));
        ports.add(urlPort(s.healthUrl));
      }
      for (const m of Object.values(t.redis.members)) if (m) ports.add(portOf(m.endpoint));
      for (const p of [...ports].sort((a, b) => a - b))
        sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(p), `to port ${p} (topology endpoint or AWS API)`);
      securityGroups = [sg];
    }
    return { vpc, subnets, securityGroups };
  }

  /** Least privilege: each function may do only what its step needs, on the named resources. */
  private grantStepPermissions(
    t: Topology,
    ownServer: string,
    stateMachineArns: string[],
    deploy: DeployConfig,
  ): void {
    const f = this.functions;
    const arn = (service: string, resource: string, region = this.region) =>
      `arn:${this.partition}:${service}:${region}:${this.account}:${resource}`;

    // Secrets are referenced by name or ARN, never created here.
    const secret = (id: string, ref: string) => secretRef(this, id, ref);
    const decrypt = (fn: StepFunction) => {
      if (deploy.secretsKmsKeyArn)
        fn.allow(['kms:Decrypt'], [deploy.secretsKmsKeyArn], {
          StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` },
        });
    };
    if (t.redis.authSecret) {
      const redisAuth = secret('RedisAuthSecret', t.redis.authSecret);
      for (const k of ['preflight', 'promoteRedis', 'switchLock', 'report', 'healthProbe'] as const)
        if (f[k]) {
          redisAuth.grantRead(f[k].role);
          decrypt(f[k]);
        }
    }
    const slack = t.approvals.slack;
    if (slack && f.requestApproval && f.slackCallback) {
      secret('SlackBotToken', slack.botTokenSecret).grantRead(f.requestApproval.role);
      decrypt(f.requestApproval);
      secret('SlackSigningSecret', slack.signingSecret).grantRead(f.slackCallback.role);
      decrypt(f.slackCallback);
    }

    // ElastiCache: the global datastore and its member replication groups only.
    if (t.redis.kind === 'elasticache-global') {
      const global = `arn:${this.partition}:elasticache::${this.account}:globalreplicationgroup:${t.redis.globalReplicationGroupId}`;
      const groups = Object.entries(t.redis.members).map(([region, m]) =>
        arn('elasticache', `replicationgroup:${m!.replicationGroupId}`, region),
      );
      const describe = [
        'elasticache:DescribeGlobalReplicationGroups',
        'elasticache:DescribeReplicationGroups',
      ];
      // The health probe's fencing pass reads the members' roles too.
      for (const k of ['preflight', 'report', 'healthProbe'] as const)
        f[k]?.allow(describe, [global, ...groups]);
      f.promoteRedis?.allow(
        [
          ...describe,
          'elasticache:FailoverGlobalReplicationGroup',
          'elasticache:DisassociateGlobalReplicationGroup',
        ],
        [global, ...groups],
      );
    }

    // Route 53: the one hosted zone, and only the relay record (name and type) may change.
    if (t.dns.provider.kind === 'route53') {
      const zone = `arn:${this.partition}:route53:::hostedzone/${strip(t.dns.provider.hostedZoneId)}`;
      for (const k of ['preflight', 'repointDns', 'report'] as const)
        f[k]?.allow(['route53:ListResourceRecordSets'], [zone]);
      f.repointDns?.allow(['route53:ChangeResourceRecordSets'], [zone], {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
            t.dns.recordName.toLowerCase().replace(/\.$/, ''),
          ],
          'route53:ChangeResourceRecordSetsRecordTypes': [t.dns.recordType],
          'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
        },
      });
      f.repointDns?.allow(['route53:GetChange'], [`arn:${this.partition}:route53:::change/*`]);
      if (f.repointDns)
        acknowledge(
          f.repointDns.role,
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]`,
          'route53:GetChange polls the change this function just made; its id is only known at run time. GetChange is read-only.',
        );
    }
    const checks = t.servers.flatMap((s) =>
      s.route53HealthCheckId ? [`arn:${this.partition}:route53:::healthcheck/${s.route53HealthCheckId}`] : [],
    );
    const alarmNames = [...new Set(t.servers.flatMap((s) => s.alarmNames))];
    for (const k of ['verifyOutage', 'verifyRecovered'] as const) {
      if (!f[k]) continue;
      if (checks.length) f[k].allow(['route53:GetHealthCheckStatus'], checks);
      if (alarmNames.length) {
        // "To use this operation and return information about composite alarms, you must be signed
        // on with the cloudwatch:DescribeAlarms permission that is scoped to *" (DescribeAlarms API
        // reference): an alarm-ARN scope silently hides composite alarms (they would read MISSING).
        f[k].allow(['cloudwatch:DescribeAlarms'], ['*']);
        acknowledge(
          f[k].role,
          'AwsSolutions-IAM5[Resource::*]',
          "cloudwatch:DescribeAlarms (read-only) must be scoped to * to return composite alarms (DescribeAlarms API reference); the topology may name a composite alarm as the signal that a server is down. The function asks only for the topology's alarm names.",
        );
      }
    }

    // Step Functions: preflight lists this region's runs; the Slack callback resumes them.
    f.preflight?.allow(['states:ListExecutions'], stateMachineArns);
    f.slackCallback?.allow(
      ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      stateMachineArns,
    );
    if (f.trigger) {
      f.trigger.allow(['states:StartExecution'], [stateMachineArns[0]!]);
      // An incident's earlier runs, to tell "still running" from "ended before this alarm".
      const executions = this.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${stateMachineName(t, { direction: 'failover', targetServer: ownServer })}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      f.trigger.allow(['states:DescribeExecution'], [executions]);
      acknowledge(
        f.trigger.role,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${this.region}:<AWS::AccountId>:execution:${stateMachineName(t, { direction: 'failover', targetServer: ownServer })}:*]`,
        "states:DescribeExecution (read-only) on this region's failover executions: the trigger reads the status of an incident's earlier run, whose name it only knows at run time.",
      );
    }

    // Tables.
    f.preflight && this.clustersTable.grant(f.preflight.role, 'dynamodb:GetItem');
    f.healthProbe && this.clustersTable.grant(f.healthProbe.role, 'dynamodb:PutItem');
    for (const k of ['requestApproval', 'slackCallback'] as const)
      if (f[k])
        this.approvalsTable.grant(f[k].role, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');

    // Notifications and metrics.
    if (f.report) this.topic.grantPublish(f.report.role);
    f.healthProbe?.allow(['cloudwatch:PutMetricData'], ['*'], {
      StringEquals: { 'cloudwatch:namespace': PROBE_NAMESPACE },
    });
  }

  /** Functions invoked synchronously have no asynchronous failure to capture. */
  private acknowledgeSynchronous(keys: FunctionKey[]): void {
    for (const k of keys) {
      const fn = this.functions[k]!;
      if (k === 'trigger' || k === 'healthProbe') {
        acknowledge(
          fn,
          'Serverless-LambdaDLQ',
          'Asynchronous failures go to the OnFailure destination (the notification topic), which carries the error and supersedes a DLQ; EventBridge delivery failures go to the events dead-letter queue.',
        );
        continue;
      }
      acknowledge(
        fn,
        ['Serverless-LambdaDLQ', 'Serverless-LambdaAsyncFailureDestination'],
        k === 'slackCallback'
          ? 'Invoked synchronously through its Function URL (Slack waits for the answer); there is no asynchronous invocation to capture.'
          : 'Invoked synchronously by Step Functions; failures are routed by the workflow (Retry/Catch on the error name), never lost.',
      );
    }
  }

  /** A Standard state machine from the workflows/ ASL. */
  private workflow(id: string, t: Topology, route: Route, retention: logs.RetentionDays): sfn.StateMachine {
    const asl = workflowFor(t, route, PLACEHOLDER_FUNCTIONS);
    const definition = JSON.stringify(asl);
    const used = WORKFLOW_KEYS.filter((k) => definition.includes(placeholder(k)));
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      logGroupName: `/aws/vendedlogs/states/${stateMachineName(t, route)}`,
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const machine = new sfn.StateMachine(this, id, {
      stateMachineName: stateMachineName(t, route),
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: Object.fromEntries(
        used.map((k) => {
          const fn = this.functions[k];
          if (!fn)
            throw new Error(`the ${route.direction} workflow uses ${k}, which this region does not deploy`);
          return [k, fn.fn.functionArn];
        }),
      ),
      // Execution data may carry secrets-adjacent detail (approver ids, lock values): not logged.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // Only the unqualified ARNs the definition names (grantInvoke would add `:*` versions too).
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: used.map((k) => this.functions[k]!.fn.functionArn),
      }),
    );
    acknowledge(
      machine,
      ['AwsSolutions-IAM5[Resource::*]', 'Serverless-StarPermissions'],
      'Added by Step Functions logging and X-Ray: logs:CreateLogDelivery/GetLogDelivery/UpdateLogDelivery/DeleteLogDelivery/ListLogDeliveries/PutResourcePolicy/DescribeResourcePolicies/DescribeLogGroups and xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets do not support resource-level permissions.',
    );
    return machine;
  }

  private dashboard(
    t: Topology,
    region: string,
    probeMetric: (name: string, cluster: string, period: Duration, statistic: string) => cloudwatch.Metric,
    agentsExpr: cloudwatch.MathExpression,
  ): void {
    const d = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${t.name}-failover-${region}`,
      defaultInterval: Duration.hours(3),
    });
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Relay reachable from ${region} (1 = yes)`,
        left: t.servers.map((s) => probeMetric('RelayReachable', s.id, Duration.seconds(10), 'Minimum')),
        width: 12,
        leftYAxis: { min: 0, max: 1 },
      }),
      new cloudwatch.GraphWidget({
        title: `Agents connected (seen from ${region})`,
        left: [
          ...t.servers.map((s) => probeMetric('AgentsConnected', s.id, Duration.minutes(1), 'Maximum')),
          agentsExpr,
        ],
        width: 12,
      }),
    );
    const machines = Object.values(this.stateMachines);
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Runs',
        left: machines.flatMap((m) => [
          m.metricStarted({ period: Duration.minutes(5) }),
          m.metricSucceeded({ period: Duration.minutes(5) }),
          m.metricFailed({ period: Duration.minutes(5) }),
        ]),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Run duration (ms)',
        left: machines.map((m) => m.metricTime({ period: Duration.minutes(5), statistic: 'Maximum' })),
        width: 12,
      }),
    );
    const steps = WORKFLOW_KEYS.filter((k) => this.functions[k]);
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Step durations (max, ms)',
        left: steps.map((k) =>
          this.functions[k]!.fn.metricDuration({
            period: Duration.minutes(5),
            statistic: 'Maximum',
            label: k,
          }),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Step errors',
        left: steps.map((k) =>
          this.functions[k]!.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum', label: k }),
        ),
        width: 12,
      }),
    );
  }
}

/**
 * The relay alarm's period: the shortest CloudWatch alarm period (10 s and 30 s are the
 * high-resolution ones, then whole minutes) that holds at least one probe sample, so that a period
 * without data means a silent probe, never "between samples".
 */
export function relayAlarmPeriodSeconds(samplesPerMinute: number): number {
  const interval = Math.floor(60 / samplesPerMinute);
  return [10, 30, 60].find((p) => p >= interval) ?? 60;
}

/** The EventBridge pattern of the alarms that start a failover. */
export function alarmEventPattern(alarmNames: string[]): events.EventPattern {
  return {
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    detail: { alarmName: alarmNames, state: { value: ['ALARM'] } },
  };
}

function pascal(k: string): string {
  return k.charAt(0).toUpperCase() + k.slice(1);
}

/** A secret referenced by the topology (name or ARN); never created here. */
function secretRef(scope: Construct, id: string, ref: string): secretsmanager.ISecret {
  if (!ref.startsWith('arn:')) return secretsmanager.Secret.fromSecretNameV2(scope, id, ref);
  // A complete ARN ends with the 6-character suffix Secrets Manager adds to the name.
  return /-[A-Za-z0-9]{6}$/.test(ref)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, ref)
    : secretsmanager.Secret.fromSecretPartialArn(scope, id, ref);
}
