/**
 * The Lambdas of the workflow's steps (preflight, verify, promote Redis, switch the lock, repoint
 * DNS, confirm reconnection, report), each allowed only what its step needs on the named resources.
 */
import { type Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { Server, Topology } from '#lib/topology.ts';
import type { DeployConfig } from '../deploy-config.ts';
import type { CreatedDns } from '../dns-stack.ts';
import type { FunctionKey } from '../functions.ts';
import { acknowledge } from '../nag.ts';
import { ELASTICACHE_DESCRIBE, elastiCacheArns, grantRedisAuth } from './access.ts';
import { Concern } from './concern.ts';
import { DnsSwitch } from './dns-switch.ts';
import { MeshctlLockFunction } from './meshctl-lock.ts';
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
  /** This region's server (the meshctl lock function's EKS access entry is on its cluster). */
  own: Server;
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
  /** Functions outside the workflow that read the DNS switch like preflight does (readiness). */
  dnsReaders?: StepFunction[];
  /** With `dns.create`: what the DNS stack created (the DNS switch's IAM and environment). */
  createdDns?: CreatedDns;
}

/** The step keys, in workflow order. */
export type StepKey = Exclude<
  FunctionKey,
  'requestApproval' | 'slackCallback' | 'trigger' | 'healthProbe' | 'readiness'
>;

/** The step functions by key. */
export class WorkflowSteps extends Concern {
  /** The functions by key (verifyRecovered only with failback; switchLock only with a redis-key lock). */
  readonly functions: Partial<Record<StepKey, StepFunction>> = {};
  /** The lock step of the `meshctl` adapter (a container image), when the topology uses it. */
  readonly meshctlLock?: MeshctlLockFunction;

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
      // The lock step: write-to-one only; meshctl's is a container image (MeshctlLockFunction).
      ...(t.lock.adapter === 'redis-key' ? (['switchLock'] as const) : []),
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
    if (t.lock.adapter === 'meshctl') {
      this.meshctlLock = new MeshctlLockFunction(this, 'MeshctlLock', {
        topology: t,
        own: props.own,
        environment: env,
        logRetention: props.functions.logRetention,
        placement: props.functions.placement,
      });
      acknowledge(
        this.meshctlLock.fn,
        ['Serverless-LambdaDLQ', 'Serverless-LambdaAsyncFailureDestination'],
        'Invoked synchronously by Step Functions; failures are routed by the workflow (Retry/Catch on the error name), never lost.',
      );
    }
    const f = this.functions as Record<'preflight' | 'report', StepFunction> & typeof this.functions;
    grantRedisAuth(
      this,
      t,
      props.deploy,
      [f.preflight, f.promoteRedis, f.switchLock, f.report].filter((x): x is StepFunction => !!x),
    );
    this.grantElastiCache(t);
    // The relay name's switch, by dns.switch.mode (constructs/dns-switch.ts).
    new DnsSwitch(this, 'DnsSwitch', {
      topology: t,
      readers: [f.preflight, f.report, ...(props.dnsReaders ?? [])],
      changer: f.repointDns!,
      ...(props.createdDns ? { created: props.createdDns } : {}),
    });
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

  /**
   * Verify: the topology's alarms, and the Route 53 health checks through their CloudWatch metrics
   * (AWS/Route53 in us-east-1; GetHealthCheckStatus is not for production use), read-only.
   */
  private grantVerify(t: Topology): void {
    const checks = t.servers.some((s) => s.route53HealthCheckId);
    const alarmNames = [...new Set(t.servers.flatMap((s) => s.alarmNames))];
    for (const k of ['verifyOutage', 'verifyRecovered'] as const) {
      const fn = this.functions[k];
      if (!fn) continue;
      const actions = [
        ...(checks ? ['cloudwatch:GetMetricData'] : []),
        ...(alarmNames.length ? ['cloudwatch:DescribeAlarms'] : []),
      ];
      if (!actions.length) continue;
      // "To use this operation and return information about composite alarms, you must be signed
      // on with the cloudwatch:DescribeAlarms permission that is scoped to *" (DescribeAlarms API
      // reference); GetMetricData has no resource-level scope at all (service authorization reference).
      fn.allow(actions, ['*']);
      acknowledge(
        fn.role,
        'AwsSolutions-IAM5[Resource::*]',
        "cloudwatch:DescribeAlarms (read-only) must be scoped to * to return composite alarms (DescribeAlarms API reference); cloudwatch:GetMetricData (read-only, the Route 53 health checks' AWS/Route53 metrics) supports no resource scope. The function asks only for the topology's alarms and health checks.",
      );
    }
  }
}
