/**
 * The Lambdas of the workflow's steps (preflight, verify, promote Redis, switch the lock, repoint
 * DNS, confirm reconnection, report), each allowed only what its step needs on the named resources.
 */
import { type Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { Topology } from '#lib/topology.ts';
import type { DeployConfig } from '../deploy-config.ts';
import type { FunctionKey } from '../functions.ts';
import { acknowledge } from '../nag.ts';
import { ELASTICACHE_DESCRIBE, elastiCacheArns, grantRedisAuth } from './access.ts';
import { Concern } from './concern.ts';
import type { Notifications } from './notifications.ts';
import {
  acknowledgeEncryptedPublish,
  acknowledgeSynchronous,
  type FunctionDefaults,
  type StepFunction,
  stepFunction,
} from './step-function.ts';

/** Props of {@link WorkflowSteps}. */
export interface WorkflowStepsProps {
  topology: Topology;
  deploy: DeployConfig;
  /** Deploy verify-recovered too (the home region, which holds the failback workflow). */
  failback: boolean;
  /** This region's state machines: preflight refuses a second concurrent run of any of them. */
  stateMachineArns: string[];
  /** Timeout of the verify functions' Lambda, from the workflow's verify step. */
  verifyTimeout: Duration;
  /** The last-seen clusters table (preflight reads the expected clusters from it and keeps the run's set there). */
  clustersTable: dynamodb.ITable;
  notifications: Notifications;
  functions: FunctionDefaults;
}

/** The step keys, in workflow order. */
export type StepKey = Exclude<
  FunctionKey,
  'requestApproval' | 'slackCallback' | 'trigger' | 'healthProbe' | 'readiness'
>;

/** The step functions by key. */
export class WorkflowSteps extends Concern {
  /** The functions by key (verifyRecovered only with failback). */
  readonly functions: Partial<Record<StepKey, StepFunction>> = {};

  constructor(scope: Construct, id: string, props: WorkflowStepsProps) {
    super(scope, id);
    const { topology: t, notifications } = props;
    const env = {
      ...props.functions.environment,
      CLUSTER_TABLE_NAME: props.clustersTable.tableName,
      STATE_MACHINE_ARNS: props.stateMachineArns.join(','),
    };
    const keys: StepKey[] = [
      'preflight',
      'verifyOutage',
      ...(props.failback ? (['verifyRecovered'] as const) : []),
      'promoteRedis',
      'switchLock',
      'repointDns',
      'confirmReconnect',
      'report',
    ];
    for (const k of keys) {
      const environment = k === 'report' ? { ...env, NOTIFY_TOPIC_ARN: notifications.topic.topicArn } : env;
      const verify = k === 'verifyOutage' || k === 'verifyRecovered';
      const fn = stepFunction(
        this,
        k,
        props.functions,
        environment,
        verify ? props.verifyTimeout : undefined,
      );
      acknowledgeSynchronous(fn, 'step-functions');
      this.functions[k] = fn;
    }
    const f = this.functions as Record<'preflight' | 'report', StepFunction> & typeof this.functions;
    grantRedisAuth(this, t, props.deploy, [f.preflight, f.promoteRedis!, f.switchLock!, f.report]);
    this.grantElastiCache(t);
    this.grantRoute53(t);
    this.grantVerify(t);
    f.preflight.allow(['states:ListExecutions'], props.stateMachineArns);
    props.clustersTable.grant(f.preflight.role, 'dynamodb:GetItem');
    // The run's expected clusters (kept out of the workflow state): preflight writes them, the
    // reconnection check reads them, and only items under the run-set prefix ("Using IAM policy
    // conditions for fine-grained access control": dynamodb:LeadingKeys), never the last-seen ones.
    const runSets = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['runset#*'] } };
    f.preflight.allow(['dynamodb:PutItem'], [props.clustersTable.tableArn], runSets);
    f.confirmReconnect?.allow(['dynamodb:GetItem'], [props.clustersTable.tableArn], runSets);
    notifications.topic.grantPublish(f.report.role);
    acknowledgeEncryptedPublish(f.report);
  }

  /** ElastiCache: the global datastore and its member replication groups only. */
  private grantElastiCache(t: Topology): void {
    const resources = elastiCacheArns(Stack.of(this), t);
    if (!resources.length) return;
    const f = this.functions;
    for (const k of ['preflight', 'report'] as const) f[k]?.allow(ELASTICACHE_DESCRIBE, resources);
    f.promoteRedis?.allow(
      [
        ...ELASTICACHE_DESCRIBE,
        'elasticache:FailoverGlobalReplicationGroup',
        'elasticache:DisassociateGlobalReplicationGroup',
      ],
      resources,
    );
  }

  /** Route 53: the one hosted zone, and only the relay record (name and type) may change. */
  private grantRoute53(t: Topology): void {
    if (t.dns.provider.kind !== 'route53') return;
    const f = this.functions;
    const partition = Stack.of(this).partition;
    const zone = `arn:${partition}:route53:::hostedzone/${t.dns.provider.hostedZoneId.replace(/^\/hostedzone\//, '')}`;
    for (const k of ['preflight', 'repointDns', 'report'] as const)
      f[k]?.allow(['route53:ListResourceRecordSets'], [zone]);
    if (!f.repointDns) return;
    f.repointDns.allow(['route53:ChangeResourceRecordSets'], [zone], {
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
          t.dns.recordName.toLowerCase().replace(/\.$/, ''),
        ],
        'route53:ChangeResourceRecordSetsRecordTypes': [t.dns.recordType],
        'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
      },
    });
    f.repointDns.allow(['route53:GetChange'], [`arn:${partition}:route53:::change/*`]);
    acknowledge(
      f.repointDns.role,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]`,
      'route53:GetChange polls the change this function just made; its id is only known at run time. GetChange is read-only.',
    );
  }

  /** Verify: the topology's Route 53 health checks and alarms, read-only. */
  private grantVerify(t: Topology): void {
    const stack = Stack.of(this);
    const checks = t.servers.flatMap((s) =>
      s.route53HealthCheckId
        ? [`arn:${stack.partition}:route53:::healthcheck/${s.route53HealthCheckId}`]
        : [],
    );
    const alarmNames = [...new Set(t.servers.flatMap((s) => s.alarmNames))];
    for (const k of ['verifyOutage', 'verifyRecovered'] as const) {
      const fn = this.functions[k];
      if (!fn) continue;
      if (checks.length) fn.allow(['route53:GetHealthCheckStatus'], checks);
      if (alarmNames.length) {
        // "To use this operation and return information about composite alarms, you must be signed
        // on with the cloudwatch:DescribeAlarms permission that is scoped to *" (DescribeAlarms API
        // reference): an alarm-ARN scope silently hides composite alarms (they would read MISSING).
        fn.allow(['cloudwatch:DescribeAlarms'], ['*']);
        acknowledge(
          fn.role,
          'AwsSolutions-IAM5[Resource::*]',
          "cloudwatch:DescribeAlarms (read-only) must be scoped to * to return composite alarms (DescribeAlarms API reference); the topology may name a composite alarm as the signal that a server is down. The function asks only for the topology's alarm names.",
        );
      }
    }
  }
}
