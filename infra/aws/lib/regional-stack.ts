/**
 * One stack per region that can become active. It holds everything a failover INTO this region
 * needs, so a run never depends on the region that is down: the failover workflow (peer -> this
 * region's cluster), its Lambdas, the alarm trigger, the health probe of the peer and its alarms,
 * the approvals table and Slack endpoint, the notification topic and a dashboard. The home
 * cluster's region also holds the failback workflow (failback always returns to the home cluster,
 * so it fails *into* that region, and it only runs when that region is healthy again).
 *
 * The stack only composes its concerns (constructs/); their ids are left out of the logical ids
 * (see constructs/concern.ts), so a deployed resource keeps its logical id whatever concern holds it.
 */
import { ArnFormat, type CfnElement, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { peerOf, type Server, type Topology } from '#lib/topology.ts';
import { WORKFLOW_FUNCTION_KEYS } from '#workflows/definition.ts';
import { type Route, workflowOptions } from '#workflows/from-topology.ts';
import type { SdkMode } from './bundling.ts';
import { ActiveSignal } from './constructs/active-signal.ts';
import { Approvals } from './constructs/approvals.ts';
import { logicalIdWithoutConcerns } from './constructs/concern.ts';
import { Dashboard } from './constructs/dashboard.ts';
import { Network } from './constructs/network.ts';
import { Notifications } from './constructs/notifications.ts';
import { Probe } from './constructs/probe.ts';
import { Readiness } from './constructs/readiness.ts';
import { Reprotect } from './constructs/reprotect.ts';
import { RunReports } from './constructs/run-reports.ts';
import { baseEnvironment, type DeployedFunction, type FunctionDefaults } from './constructs/step-function.ts';
import { Trigger } from './constructs/trigger.ts';
import { Workflow } from './constructs/workflow.ts';
import { WorkflowSteps } from './constructs/workflow-steps.ts';
import type { DeployConfig } from './deploy-config.ts';
import type { CreatedDns } from './dns-stack.ts';
import type { FunctionKey } from './functions.ts';
import { PLACEHOLDER_FUNCTIONS, pascal, stateMachineName } from './names.ts';

export { relayAlarmPeriodSeconds } from './constructs/probe.ts';
export { alarmEventPattern } from './constructs/trigger.ts';
export {
  PLACEHOLDER_FUNCTIONS,
  placeholder,
  relayAlarmName,
  stateMachineName,
  WORKFLOW_KEYS,
} from './names.ts';

/** Props of {@link RegionalStack}. */
export interface RegionalStackProps extends StackProps {
  topology: Topology;
  /** The topology document as written (set as TOPOLOGY_JSON; the handlers apply the defaults). */
  topologyDocument: unknown;
  /** The management server of this stack's region: the cluster this region's failover activates. */
  server: Server;
  deploy: DeployConfig;
  /** With `dns.create`: the ARNs the DNS stack created, as this region resolves them (dns-stack.ts). */
  createdDns?: CreatedDns;
  /** @default 'bundled' */
  sdkMode?: SdkMode;
  /** Prebuilt code per function instead of bundling (tests). @default bundle with esbuild */
  codeFor?: (key: FunctionKey) => lambda.Code | undefined;
}

/** The regional stack; see the module comment. */
export class RegionalStack extends Stack {
  /** The functions by key (only those this region deploys). */
  readonly functions: Partial<Record<FunctionKey, DeployedFunction>>;
  /** The state machines by direction. */
  readonly stateMachines: {
    failover: sfn.StateMachine;
    failback?: sfn.StateMachine;
    reprotect: sfn.StateMachine;
  };
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
  /** The run report pages bucket. */
  readonly reports: RunReports;
  /** The Slack interactivity endpoint (absent when approvals.slack is not configured). */
  readonly slackCallbackUrl?: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const { topology: t, server: own, deploy } = props;
    const peer = peerOf(t, own.id);
    const isHome = own.id === t.homeServer;
    const logRetention = deploy.logRetentionDays as logs.RetentionDays;

    const notifications = new Notifications(this, 'Notifications', { topology: t, region: own.region });
    const network = new Network(this, 'Network', { topology: t, deploy });
    const functions: FunctionDefaults = {
      environment: baseEnvironment(props.topologyDocument),
      logRetention,
      placement: network.placement,
      sdkMode: props.sdkMode,
      codeFor: props.codeFor,
      reservedConcurrency: reservedConcurrency(deploy),
    };

    // State machine ARNs, built from their names: preflight needs them (STATE_MACHINE_ARNS, to
    // refuse a second concurrent run) and the state machines need preflight's ARN. Naming the
    // machines and formatting their ARNs breaks that cycle without a custom resource.
    const failoverRoute: Route = { direction: 'failover', targetServer: own.id };
    const failbackRoute: Route = { direction: 'failback', targetServer: t.homeServer };
    const routes = isHome ? [failoverRoute, failbackRoute] : [failoverRoute];
    const arnOf = (route: Route) =>
      this.formatArn({
        service: 'states',
        resource: 'stateMachine',
        resourceName: stateMachineName(t, route),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const reprotectName = `${t.name}-reprotect-from-${own.id}`;
    const reprotectArn = this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: reprotectName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // Preflight refuses a failover while a re-protection runs; the Slack callback resumes all three.
    const stateMachineArns = [...routes.map(arnOf), reprotectArn];

    const trigger = new Trigger(this, 'Trigger', {
      topology: t,
      own,
      peer,
      failoverStateMachineArn: arnOf(failoverRoute),
      notifications,
      functions,
    });
    const probe = new Probe(this, 'Probe', { topology: t, own, peer, deploy, notifications, functions });
    const approvals = new Approvals(this, 'Approvals', { topology: t, deploy, stateMachineArns, functions });
    const verifyTimeout =
      workflowOptions(t, failoverRoute, PLACEHOLDER_FUNCTIONS).verifyTimeoutSeconds ?? 120;
    // Built before the steps: it runs preflight as a dry run, so it reads the DNS switch too.
    const readiness = new Readiness(this, 'Readiness', {
      topology: t,
      own,
      deploy,
      stateMachineArns,
      clustersTable: probe.clustersTable,
      notifications,
      functions,
    });
    const steps = new WorkflowSteps(this, 'WorkflowSteps', {
      topology: t,
      deploy,
      own,
      failback: isHome,
      stateMachineArns,
      verifyTimeout: Duration.seconds(Math.max(10, Math.min(900, verifyTimeout - 5))),
      clustersTable: probe.clustersTable,
      notifications,
      functions,
      dnsReaders: [readiness.function],
      ...(props.createdDns ? { createdDns: props.createdDns } : {}),
    });
    this.functions = {
      ...steps.functions,
      ...(steps.meshctlLock ? { switchLock: steps.meshctlLock } : {}),
      ...approvals.functions,
      trigger: trigger.function,
      healthProbe: probe.function,
      readiness: readiness.function,
    };
    new ActiveSignal(this, 'ActiveSignal', {
      topology: t,
      deploy,
      report: steps.functions.report,
      preflight: steps.functions.preflight,
      readiness: readiness.function,
      confirmReconnect: steps.functions.confirmReconnect,
      healthProbe: probe.function,
    });
    const slack = t.approvals.slack;
    this.reports = new RunReports(this, 'RunReports', {
      writer: steps.functions.report!,
      retentionDays: deploy.reports.retentionDays,
      linkExpiry: Duration.hours(deploy.reports.linkExpiryHours),
      deploy,
      ...(slack ? { slack: { channel: slack.channel, botTokenSecret: slack.botTokenSecret } } : {}),
    });
    const workflow = (route: Route) =>
      new Workflow(this, pascal(route.direction), {
        topology: t,
        route,
        functions: this.functions,
        logRetention,
        notify: notifications.notify,
      }).stateMachine;
    const reprotect = new Reprotect(this, 'Reprotect', {
      topology: t,
      own,
      peer,
      deploy,
      stateMachineName: reprotectName,
      functions: this.functions,
      defaults: functions,
      logRetention,
      notify: notifications.notify,
    });
    this.functions.reprotect = reprotect.function;
    const failover = workflow(failoverRoute);
    const failback = isHome ? workflow(failbackRoute) : undefined;
    this.stateMachines = { failover, ...(failback ? { failback } : {}), reprotect: reprotect.stateMachine };
    new Dashboard(this, 'Dashboard', {
      topology: t,
      probe,
      readiness,
      stateMachines: Object.values(this.stateMachines),
      functions: this.functions,
    });

    this.topic = notifications.topic;
    this.approvalsTable = approvals.table;
    this.clustersTable = probe.clustersTable;
    this.alarmRule = trigger.alarmRule;
    this.relayAlarm = probe.relayAlarm;
    this.slackCallbackUrl = approvals.slackCallbackUrl;
    new CfnOutput(this, 'FailoverStateMachineArn', { value: failover.stateMachineArn });
    if (failback) new CfnOutput(this, 'FailbackStateMachineArn', { value: failback.stateMachineArn });
    new CfnOutput(this, 'ReprotectStateMachineArn', { value: reprotect.stateMachine.stateMachineArn });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn });
  }

  /** CDK's default logical ids, with the concerns left out of the path (constructs/concern.ts). */
  protected override allocateLogicalId(element: CfnElement): string {
    return logicalIdWithoutConcerns(this, element);
  }
}

/** Reserved concurrency per function: the Slack callback capped, every function the workflow invokes reserved. */
export function reservedConcurrency(deploy: DeployConfig): Partial<Record<FunctionKey, number>> {
  const r = deploy.reservedConcurrency;
  const steps = [...WORKFLOW_FUNCTION_KEYS].map((k) => [k, r.workflowSteps] as const);
  return { ...Object.fromEntries(steps), slackCallback: r.slackCallback };
}
