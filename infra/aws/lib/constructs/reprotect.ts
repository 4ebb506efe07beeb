/**
 * The reprotect workflow of this region (the third state machine; run in the region that is active
 * after a forced detach): its function, its Standard state machine from workflows/reprotect.ts, and
 * the IAM that lets the datastore move. ElastiCache ids after re-protection are not known at deploy
 * time: AWS prefixes a new global datastore id with a region code ("Using global datastores (CLI)":
 * e.g. "virxk" in us-west-1) and we choose the rest (`<name>-g<generation>`); new secondaries are
 * `<static id>-g<generation>`. So the grants name the static ids plus those patterns, nothing wider.
 * The datastore record is an SSM parameter per region that the stack never creates (a redeploy must
 * not reset it): every step that reads Redis may read this region's copy; the reprotect function
 * writes every region's.
 */
import { Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { datastoreParameterName } from '#lib/aws/ssm-datastore-registry.ts';
import type { Server, Topology } from '#lib/topology.ts';
import { buildReprotectWorkflow } from '#workflows/reprotect.ts';
import type { DeployConfig } from '../deploy-config.ts';
import type { FunctionKey } from '../functions.ts';
import { acknowledge } from '../nag.ts';
import { placeholder } from '../names.ts';
import { ELASTICACHE_DESCRIBE, elastiCacheArns, grantRedisAuth } from './access.ts';
import { Concern } from './concern.ts';
import {
  acknowledgeSynchronous,
  type DeployedFunction,
  type FunctionDefaults,
  type StepFunction,
  stepFunction,
} from './step-function.ts';

/** Props of {@link Reprotect}. */
export interface ReprotectProps {
  topology: Topology;
  /** The server of this region: the survivor when this state machine runs. */
  own: Server;
  /** The other server: its region gets the new secondary. */
  peer: Server;
  deploy: DeployConfig;
  /** The state machine's name (its ARN is built from it for the approvals and preflight). */
  stateMachineName: string;
  /** The functions this region deploys: the readers of the datastore record, and requestApproval. */
  functions: Partial<Record<FunctionKey, DeployedFunction>>;
  defaults: FunctionDefaults;
  logRetention: logs.RetentionDays;
  notify: cwActions.SnsAction;
}

/** The reprotect state machine, its function and the IAM that follows the datastore. */
export class Reprotect extends Concern {
  /** The state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** The reprotect function. */
  readonly function: StepFunction;

  constructor(scope: Construct, id: string, props: ReprotectProps) {
    super(scope, id);
    const { topology: t, own, peer } = props;
    const stack = Stack.of(this);
    const fn = stepFunction(this, 'reprotect', props.defaults, props.defaults.environment);
    acknowledgeSynchronous(fn, 'step-functions');
    this.function = fn;
    grantRedisAuth(this, t, props.deploy, [fn]);

    // The datastore record: read here by every step that reaches Redis, written in both regions.
    const param = (region: string) =>
      `arn:${stack.partition}:ssm:${region}:${stack.account}:parameter${datastoreParameterName(t.name)}`;
    const readers = (
      ['preflight', 'promoteRedis', 'switchLock', 'report', 'healthProbe', 'readiness'] as const
    )
      .map((k) => props.functions[k])
      .filter((f): f is DeployedFunction => !!f);
    for (const f of [...readers, fn]) f.allow(['ssm:GetParameter'], [param(stack.region)]);
    // Readiness compares this region's copy with the peer's (a half-finished re-protection).
    props.functions.readiness?.allow(['ssm:GetParameter'], [param(peer.region)]);
    fn.allow(['ssm:PutParameter'], [...new Set([own.region, peer.region])].map(param));

    if (t.redis.kind === 'elasticache-global')
      this.grantElastiCache(t, fn, readers, props.functions.promoteRedis);

    const approvals = !!t.approvals.slack && !!props.functions.requestApproval;
    const asl = buildReprotectWorkflow({
      survivor: { server: own.id, region: own.region },
      recovered: { server: peer.id, region: peer.region },
      functions: { reprotect: placeholder('reprotect'), requestApproval: placeholder('requestApproval') },
      approvals,
      approvalTimeoutSeconds: t.approvals.timeoutSeconds,
      partition: placeholder('partition'),
    });
    const definition = JSON.stringify(asl);
    const logGroup = new logs.LogGroup(this, 'ReprotectWorkflowLogs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const invoked = [
      fn.fn.functionArn,
      ...(approvals ? [props.functions.requestApproval!.fn.functionArn] : []),
    ];
    this.stateMachine = new sfn.StateMachine(this, 'ReprotectWorkflow', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: {
        reprotect: fn.fn.functionArn,
        partition: Aws.PARTITION,
        ...(approvals ? { requestApproval: props.functions.requestApproval!.fn.functionArn } : {}),
      },
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invoked }),
    );
    acknowledge(
      this.stateMachine,
      ['AwsSolutions-IAM5[Resource::*]', 'Serverless-StarPermissions'],
      'Added by Step Functions logging and X-Ray: logs:*LogDelivery/PutResourcePolicy/DescribeResourcePolicies/DescribeLogGroups and xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets do not support resource-level permissions.',
    );
    new cloudwatch.Alarm(this, 'ReprotectRunFailedAlarm', {
      alarmName: `${t.name}-reprotect-failed-${stack.region}`,
      alarmDescription: `A Redis re-protection run in ${stack.region} ended in a Fail state (see its execution output).`,
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(props.notify);
  }

  /** ElastiCache: the static ids plus the generation patterns (see the module comment). */
  private grantElastiCache(
    t: Topology,
    fn: StepFunction,
    readers: DeployedFunction[],
    promote: DeployedFunction | undefined,
  ): void {
    if (t.redis.kind !== 'elasticache-global') return;
    const stack = Stack.of(this);
    const acct = stack.account;
    const p = stack.partition;
    // cdk-nag names the account as written: the pseudo parameter, or a deploy config's literal account.
    const nagAcct = Token.isUnresolved(acct) ? '<AWS::AccountId>' : acct;
    const stem = t.name.toLowerCase();
    const newGlobal = `arn:${p}:elasticache::${acct}:globalreplicationgroup:*${stem}-g*`;
    const members = Object.entries(t.redis.members) as [string, { replicationGroupId: string }][];
    const newGroups = members.map(
      ([region, m]) =>
        `arn:${p}:elasticache:${region}:${acct}:replicationgroup:${m.replicationGroupId.toLowerCase()}-g*`,
    );
    const staticArns = elastiCacheArns(stack, t);
    const all = [...staticArns, newGlobal, ...newGroups];
    // After re-protection the promoter and the fencing pass read (and promote) the new datastore.
    for (const r of readers) r.allow(ELASTICACHE_DESCRIBE, [newGlobal, ...newGroups]);
    promote?.allow(
      ['elasticache:FailoverGlobalReplicationGroup', 'elasticache:DisassociateGlobalReplicationGroup'],
      [newGlobal, ...newGroups],
    );
    fn.allow(
      [
        ...ELASTICACHE_DESCRIBE,
        'elasticache:CreateGlobalReplicationGroup',
        'elasticache:CreateReplicationGroup',
        'elasticache:DeleteGlobalReplicationGroup',
        'elasticache:DeleteReplicationGroup',
      ],
      all,
    );
    // The final snapshot kept when the operator deletes the old cluster.
    fn.allow(
      ['elasticache:CreateSnapshot'],
      members.map(
        ([region, m]) => `arn:${p}:elasticache:${region}:${acct}:snapshot:${m.replicationGroupId}-final-g*`,
      ),
    );
    const subnetGroups = members.flatMap(([region, m]) => {
      const name = (m as { cacheSubnetGroupName?: string }).cacheSubnetGroupName;
      return name ? [`arn:${p}:elasticache:${region}:${acct}:subnetgroup:${name}`] : [];
    });
    if (subnetGroups.length) fn.allow(['elasticache:CreateReplicationGroup'], subnetGroups);
    const why =
      'Re-protection creates resources whose ids are only partly known at deploy time: AWS prefixes a new global datastore id with a region code (ElastiCache "Using global datastores (CLI)"), we choose the rest (<topology name>-g<generation>); new secondaries are <static id>-g<generation>; final snapshots <id>-final-g<generation>. The patterns name only those.';
    for (const f of [fn, ...readers]) {
      acknowledge(
        f.role,
        `AwsSolutions-IAM5[Resource::${newGlobal.replace(p, '<AWS::Partition>').replace(acct, nagAcct)}]`,
        why,
      );
      for (const g of newGroups)
        acknowledge(
          f.role,
          `AwsSolutions-IAM5[Resource::${g.replace(p, '<AWS::Partition>').replace(acct, nagAcct)}]`,
          why,
        );
    }
    for (const [region, m] of members)
      acknowledge(
        fn.role,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticache:${region}:${nagAcct}:snapshot:${m.replicationGroupId}-final-g*]`,
        why,
      );
  }
}
