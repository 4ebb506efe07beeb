/**
 * The relay name's DNS switch (topology `dns.switch.mode`): the IAM each step needs for the mode,
 * scoped to the named record, routing controls or alarms, and, for `health-check-metric`, the
 * out-of-service alarm this region holds for the OTHER server (the alarm of server X lives in the
 * region that takes over from X). The ARC cluster's endpoints come from the topology or, when it
 * does not list them, are discovered ONCE at deploy (`DescribeCluster` by a custom resource, ARC's
 * control plane being in us-west-2) into the functions' `ARC_CLUSTER_ENDPOINTS`; never at run time.
 *
 * Defaults: records, health checks and routing controls are referenced by id (created elsewhere,
 * e.g. external-dns in the vendor's demo); the Route 53 health checks of the metric mode must use
 * `InsufficientDataHealthStatus: Healthy` (see functions/lib/aws/health-check-metric.ts for why).
 * With `dns.create` they are created by the DNS stack (../dns-stack.ts), and this construct receives
 * the created routing control ARNs and the discovered endpoints as deploy-time values (`created`).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { arcRoutingControlEnvName } from '#lib/dns/from-topology.ts';
import { bareHostedZoneId } from '#lib/dns-record.ts';
import type { Topology } from '#lib/topology.ts';
import type { CreatedDns } from '../dns-stack.ts';
import { acknowledge, acknowledgeAwsCustomResourceProvider } from '../nag.ts';
import { Concern } from './concern.ts';
import type { StepFunction } from './step-function.ts';

/** Props of {@link DnsSwitch}. */
export interface DnsSwitchProps {
  topology: Topology;
  /** The step functions that read the switch (preflight, report) and the one that changes it (repointDns). */
  readers: StepFunction[];
  changer: StepFunction;
  /**
   * With `dns.create`: the routing control ARNs and the cluster's endpoints from the DNS stack, as
   * this region resolves them; the functions get each control's ARN in its own variable
   * (arcRoutingControlEnvName) and the endpoints in ARC_CLUSTER_ENDPOINTS.
   */
  created?: CreatedDns;
  /** Default true: this region's stack creates the out-of-service alarm it holds (metric mode). */
  createAlarm?: boolean;
}

/** The DNS switch's permissions and resources in one region. */
export class DnsSwitch extends Concern {
  /** The out-of-service alarm this region holds (metric mode), when created here. */
  readonly alarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DnsSwitchProps) {
    super(scope, id);
    const t = props.topology;
    const sw = t.dns.switch;
    const stack = Stack.of(this);
    const all = [...props.readers, props.changer];
    if (sw.mode === 'route53-record') {
      if (t.dns.provider.kind !== 'route53') return;
      const zone = `arn:${stack.partition}:route53:::hostedzone/${bareHostedZoneId(t.dns.provider.hostedZoneId)}`;
      for (const f of all) f.allow(['route53:ListResourceRecordSets'], [zone]);
      // Only the relay record (name and type), only DELETE + CREATE (the compare-and-swap).
      props.changer.allow(['route53:ChangeResourceRecordSets'], [zone], {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
            t.dns.recordName.toLowerCase().replace(/\.$/, ''),
          ],
          'route53:ChangeResourceRecordSetsRecordTypes': [t.dns.recordType],
          'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
        },
      });
      return;
    }
    if (sw.mode === 'arc-routing-control') {
      // With dns.create the routing controls (and maybe the cluster) were created by the DNS stack.
      const controls = Object.entries(sw.routingControls).map(([server, c]) => {
        const created = props.created?.routingControls[server];
        const arn = c.arn ?? created;
        if (!arn) throw new Error(`dns.switch.routingControls.${server}.arn: neither given nor created`);
        if (!c.arn && created)
          for (const f of all) f.fn.addEnvironment(arcRoutingControlEnvName(server), created);
        return arn;
      });
      for (const f of all) f.allow(['route53-recovery-cluster:GetRoutingControlState'], controls);
      // Never SafetyRulesToOverride: no safety rule ARN is granted, so an override could not pass.
      props.changer.allow(
        [
          'route53-recovery-cluster:UpdateRoutingControlState',
          'route53-recovery-cluster:UpdateRoutingControlStates',
        ],
        controls,
      );
      if (!sw.endpoints) {
        // dns.create: the DNS stack discovered them; else this stack does, from the named cluster.
        let endpoints = props.created?.endpoints;
        if (!endpoints) {
          if (!sw.clusterArn) throw new Error('dns.switch.clusterArn: neither given nor created');
          endpoints = discoverEndpoints(this, sw.clusterArn);
        }
        for (const f of all) f.fn.addEnvironment('ARC_CLUSTER_ENDPOINTS', endpoints);
      }
      return;
    }
    // health-check-metric: read both alarms, publish only into the switch's namespace.
    const alarmArns = Object.values(sw.alarms).map(
      (a) => `arn:${stack.partition}:cloudwatch:${a.region}:${stack.account}:alarm:${a.alarmName}`,
    );
    for (const f of all) f.allow(['cloudwatch:DescribeAlarms'], alarmArns);
    props.changer.allow(['cloudwatch:PutMetricData'], ['*'], {
      StringEquals: { 'cloudwatch:namespace': sw.namespace },
    });
    acknowledge(
      props.changer.role,
      'AwsSolutions-IAM5[Resource::*]',
      `cloudwatch:PutMetricData supports no resource-level scope; the condition cloudwatch:namespace limits it to ${sw.namespace}, the out-of-service marks of the DNS switch.`,
    );
    const held = Object.entries(sw.alarms).find(([, a]) => a.region === stack.region);
    if (held && props.createAlarm !== false) {
      const [server, a] = held;
      this.alarm = new cloudwatch.Alarm(this, 'OutOfService', {
        alarmName: a.alarmName,
        alarmDescription: `${server} is out of service for the relay name ${t.dns.recordName} (${a.healthCheckId ? `Route 53 health check ${a.healthCheckId}` : 'the Route 53 health check of its failover record'} follows this alarm; published by the orchestrator in ${stack.region}, the region that takes over from ${server})`,
        metric: new cloudwatch.Metric({
          namespace: sw.namespace,
          metricName: sw.metricName,
          dimensionsMap: { Server: server },
          statistic: 'Maximum',
          // Route 53 supports standard-resolution alarms only.
          period: Duration.seconds(sw.reaction.intervalSeconds),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: sw.reaction.failureThreshold,
        // One publish holds: the state stays until the orchestrator publishes again.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      });
    }
  }
}

/** The cluster's five endpoints as JSON `[{region, endpoint}]`, read once at deploy (DescribeCluster). */
export function discoverEndpoints(scope: Construct, clusterArn: string): string {
  const call: cr.AwsSdkCall = {
    service: 'Route53RecoveryControlConfig',
    action: 'DescribeCluster',
    parameters: { ClusterArn: clusterArn },
    // ARC's control plane (recovery-control-config) is served from us-west-2.
    region: 'us-west-2',
    physicalResourceId: cr.PhysicalResourceId.of(clusterArn),
  };
  const describe = new cr.AwsCustomResource(scope, 'DescribeArcCluster', {
    onCreate: call,
    onUpdate: call,
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [clusterArn] }),
    installLatestAwsSdk: false,
  });
  acknowledgeAwsCustomResourceProvider(
    scope,
    "CDK's AwsCustomResource provider: it runs DescribeCluster once per deployment to read the ARC cluster's endpoints (read-only, scoped to the cluster ARN); it takes no part in a failover.",
  );
  const entries = Array.from({ length: 5 }, (_, i) => {
    const region = describe.getResponseField(`Cluster.ClusterEndpoints.${i}.Region`);
    const endpoint = describe.getResponseField(`Cluster.ClusterEndpoints.${i}.Endpoint`);
    return `{"region":"${region}","endpoint":"${endpoint}"}`;
  });
  return `[${entries.join(',')}]`;
}
