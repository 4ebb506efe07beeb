/**
 * The DNS stack (`<name>-dns`, only with topology `dns.create: true`): creates, ONCE, what the relay
 * name's data-plane switch drives, instead of referencing existing resources by id:
 * - the PRIMARY/SECONDARY failover pair (`AWS::Route53::RecordSet` with `Failover`,
 *   `SetIdentifier`, `HealthCheckId`, and an `AliasTarget` or `TTL` + `ResourceRecords`);
 * - one `AWS::Route53::HealthCheck` per record: `RECOVERY_CONTROL` on the server's routing control
 *   (`arc-routing-control`), or `CLOUDWATCH_METRIC` on the server's out-of-service alarm with
 *   `InsufficientDataHealthStatus: Healthy` (`health-check-metric`; why Healthy: see
 *   functions/lib/aws/health-check-metric.ts and docs/assumptions.md);
 * - `arc-routing-control`: one `AWS::Route53RecoveryControl::RoutingControl` per server, an
 *   assertion safety rule "at least one On" over them (the switch turns the target On and the source
 *   Off in one transaction, so the rule never refuses it, and refuses a change that would leave no
 *   record in service), and the control panel and cluster unless the topology names existing ones.
 *
 * Where, and why not in the regional stacks (AWS Fault Isolation Boundaries: control planes out of
 * the recovery path): these are global resources, so creating them in both regional stacks would
 * create them twice; and their creation is a control-plane action done at deploy time only. A
 * failover never touches this stack: it flips routing-control states on the ARC cluster's data
 * plane, or publishes a metric in the surviving region. The stack lives in us-west-2 for the ARC
 * mode (ARC's recovery-control-config API is served from us-west-2: "CLI Examples for the Recovery
 * Control Configuration API"), else in the home server's region (Route 53 is global; any region
 * can hold the stack). Losing that region only blocks a redeployment of the DNS resources.
 *
 * The regional stacks receive the created routing control ARNs and the cluster's endpoints (read
 * here once with DescribeCluster, unless the topology lists them) as deploy-time values:
 * at deploy, this stack writes each into an SSM parameter in each server's region
 * (`/<name>/dns/<fingerprint>/...`, `PutParameter` by CDK's AwsCustomResource, scoped to those parameters), and
 * the regional stacks read them with `{{resolve:ssm:...}}` dynamic references that CloudFormation
 * resolves in their own region when they deploy (after this stack). Nothing crosses regions at run
 * time. (CDK's own `crossRegionReferences` does the same, but adds its writer and reader functions
 * only while synthesizing, where no cdk-nag acknowledgement can reach them.) In the metric mode
 * nothing flows that way; the other way round, the health checks watch the alarms the regional
 * stacks create, so this stack deploys after them.
 */
import { createHash } from 'node:crypto';
import {
  CfnDynamicReference,
  CfnDynamicReferenceService,
  CfnResource,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
} from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as arc from 'aws-cdk-lib/aws-route53recoverycontrol';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { bareHostedZoneId } from '#lib/dns-record.ts';
import type { Topology } from '#lib/topology.ts';
import { discoverEndpoints } from './constructs/dns-switch.ts';
import { acknowledgeAwsCustomResourceProvider } from './nag.ts';
import { pascal } from './names.ts';

/** Props of {@link DnsStack}. */
export interface DnsStackProps extends StackProps {
  topology: Topology;
}

/** What the DNS stack created (tokens), by server id where per server. */
export interface CreatedDns {
  /** The ARC cluster and control panel, created or as given (arc mode). */
  clusterArn?: string;
  controlPanelArn?: string;
  /** Routing control ARN by server id (arc mode). */
  routingControls: Record<string, string>;
  /** The cluster's endpoints as JSON `[{region, endpoint}]` (arc mode, when the topology lists none). */
  endpoints?: string;
  /** Health check id by server id. */
  healthChecks: Record<string, string>;
}

/** The resource types this stack retains when it is deleted or they are replaced. */
const RETAINED = new Set([
  'AWS::Route53::RecordSet',
  'AWS::Route53::HealthCheck',
  'AWS::Route53RecoveryControl::Cluster',
  'AWS::Route53RecoveryControl::ControlPanel',
  'AWS::Route53RecoveryControl::RoutingControl',
  'AWS::Route53RecoveryControl::SafetyRule',
]);

/** `mgmt-east` -> `MgmtEast`: a construct id part. */
function idOf(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map(pascal)
    .join('');
}

/** The region of the DNS stack; see the module comment. */
export function dnsStackRegion(t: Topology): string {
  if (t.dns.switch.mode === 'arc-routing-control') return 'us-west-2';
  return t.servers.find((s) => s.id === t.homeServer)!.region;
}

/**
 * Refuses, naming the field, a topology asking the deployment to create what it also names by id
 * (with `dns.create` the generated ids are left out; a cluster or control panel may be given).
 */
export function createdDnsIssues(t: Topology): string[] {
  const out: string[] = [];
  const sw = t.dns.switch;
  const pair = t.dns.failover;
  if (!t.dns.create) return out;
  if (t.dns.provider.kind !== 'route53') out.push('dns.provider.kind: expected "route53" with dns.create');
  if (sw.mode === 'route53-record' || !pair) {
    out.push(
      'dns.create: applies to the data-plane modes (arc-routing-control, health-check-metric) with a dns.failover pair',
    );
    return out;
  }
  const leaveOut = (path: string, what: string) =>
    out.push(`${path}: leave it out with dns.create (the deployment creates ${what})`);
  for (const role of ['primary', 'secondary'] as const)
    if (pair[role].healthCheckId) leaveOut(`dns.failover.${role}.healthCheckId`, 'the health check');
  const byServer = sw.mode === 'arc-routing-control' ? sw.routingControls : sw.alarms;
  const where = sw.mode === 'arc-routing-control' ? 'routingControls' : 'alarms';
  for (const [id, x] of Object.entries(byServer)) {
    if (x.healthCheckId) leaveOut(`dns.switch.${where}.${id}.healthCheckId`, 'the health check');
    if ('arn' in x && x.arn) leaveOut(`dns.switch.routingControls.${id}.arn`, 'the routing control');
  }
  return out;
}

/** The DNS stack; see the module comment. */
export class DnsStack extends Stack {
  /** What was created (tokens of this stack). */
  readonly created: CreatedDns;
  private readonly topology: Topology;

  constructor(scope: Construct, id: string, props: DnsStackProps) {
    super(scope, id, props);
    const t = props.topology;
    this.topology = t;
    const issues = createdDnsIssues(t);
    if (issues.length) throw new Error(`topology is invalid for dns.create:\n  - ${issues.join('\n  - ')}`);
    const sw = t.dns.switch;
    const pair = t.dns.failover;
    if (sw.mode === 'route53-record' || !pair) throw new Error('dns.create: not a data-plane mode');
    const created: CreatedDns = { routingControls: {}, healthChecks: {} };

    if (sw.mode === 'arc-routing-control') {
      const clusterArn =
        sw.clusterArn ??
        new arc.CfnCluster(this, 'ArcCluster', { name: `${t.name}-failover` }).attrClusterArn;
      const controlPanelArn =
        sw.controlPanelArn ??
        new arc.CfnControlPanel(this, 'ControlPanel', { clusterArn, name: `${t.name}-relay` })
          .attrControlPanelArn;
      created.clusterArn = clusterArn;
      created.controlPanelArn = controlPanelArn;
      for (const server of Object.keys(sw.routingControls)) {
        const control = new arc.CfnRoutingControl(this, `RoutingControl${idOf(server)}`, {
          clusterArn,
          controlPanelArn,
          name: `${t.name}-${server}`,
        });
        created.routingControls[server] = control.attrRoutingControlArn;
        // RECOVERY_CONTROL: healthy while the routing control is On.
        created.healthChecks[server] = new route53.CfnHealthCheck(this, `HealthCheck${idOf(server)}`, {
          healthCheckConfig: { type: 'RECOVERY_CONTROL', routingControlArn: control.attrRoutingControlArn },
          healthCheckTags: [{ key: 'Name', value: `${t.name} ${server} relay record (routing control)` }],
        }).attrHealthCheckId;
      }
      new arc.CfnSafetyRule(this, 'AtLeastOneOn', {
        controlPanelArn,
        name: `${t.name}-at-least-one-on`,
        ruleConfig: { type: 'ATLEAST', threshold: 1, inverted: false },
        // The documented default wait period, written out.
        assertionRule: { assertedControls: Object.values(created.routingControls), waitPeriodMs: 5000 },
      });
    } else {
      for (const [server, a] of Object.entries(sw.alarms))
        created.healthChecks[server] = new route53.CfnHealthCheck(this, `HealthCheck${idOf(server)}`, {
          healthCheckConfig: {
            type: 'CLOUDWATCH_METRIC',
            alarmIdentifier: { name: a.alarmName, region: a.region },
            insufficientDataHealthStatus: 'Healthy',
          },
          healthCheckTags: [
            { key: 'Name', value: `${t.name} ${server} relay record (out-of-service alarm)` },
          ],
        }).attrHealthCheckId;
    }

    const zone = t.dns.provider.kind === 'route53' ? bareHostedZoneId(t.dns.provider.hostedZoneId) : '';
    for (const role of ['primary', 'secondary'] as const) {
      const r = pair[role];
      new route53.CfnRecordSet(this, `${pascal(role)}Record`, {
        hostedZoneId: zone,
        name: t.dns.recordName,
        type: t.dns.recordType,
        failover: role.toUpperCase(),
        setIdentifier: r.setIdentifier,
        healthCheckId: created.healthChecks[r.server],
        ...(r.alias
          ? {
              aliasTarget: {
                dnsName: r.alias.dnsName,
                hostedZoneId: r.alias.hostedZoneId,
                evaluateTargetHealth: r.alias.evaluateTargetHealth,
              },
            }
          : { ttl: String(t.dns.ttl), resourceRecords: [t.dns.values[r.server]!] }),
      });
    }
    this.created = created;
    // Deleting this stack must never take the relay name down (agents resolve it to reconnect), nor
    // the routing controls its health checks follow: everything is retained, to be removed by hand.
    for (const c of this.node.findAll())
      if (c instanceof CfnResource && RETAINED.has(c.cfnResourceType))
        c.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }

  /**
   * The created routing control ARNs and the cluster's endpoints as the regional stacks in
   * `regions` read them: each written at deploy into an SSM parameter in each of those regions, and
   * returned as a `{{resolve:ssm:...}}` dynamic reference, used as a whole value (an IAM resource,
   * an environment variable), never inside a longer string.
   */
  shareWith(regions: string[]): CreatedDns {
    const t = this.topology;
    const sw = t.dns.switch;
    const out: CreatedDns = { routingControls: {}, healthChecks: {} };
    if (sw.mode !== 'arc-routing-control') return out;
    // CloudFormation resolves a dynamic reference again only when the template changes: the
    // parameter names carry a fingerprint of what decides the created values (a routing control is
    // replaced when its cluster or panel changes), so such a change changes the regional templates.
    const fingerprint = createHash('sha256')
      .update(
        JSON.stringify({
          cluster: sw.clusterArn ?? 'created',
          panel: sw.controlPanelArn ?? 'created',
          servers: Object.keys(sw.routingControls).sort(),
          endpoints: sw.endpoints ?? 'discovered',
        }),
      )
      .digest('hex')
      .slice(0, 8);
    const share = (key: string, value: string): string => {
      const name = `/${t.name}/dns/${fingerprint}/${key}`;
      for (const region of [...new Set(regions)].sort()) {
        const parameterArn = `arn:${this.partition}:ssm:${region}:${this.account}:parameter${name}`;
        const put: cr.AwsSdkCall = {
          service: 'SSM',
          action: 'PutParameter',
          parameters: { Name: name, Value: value, Type: 'String', Overwrite: true },
          region,
          physicalResourceId: cr.PhysicalResourceId.of(`${region}:${name}`),
        };
        new cr.AwsCustomResource(this, `Share${idOf(key)}${idOf(region)}`, {
          onCreate: put,
          onUpdate: put,
          onDelete: { service: 'SSM', action: 'DeleteParameter', parameters: { Name: name }, region },
          policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [parameterArn] }),
          installLatestAwsSdk: false,
        });
      }
      return Token.asString(new CfnDynamicReference(CfnDynamicReferenceService.SSM, name));
    };
    for (const [server, arn] of Object.entries(this.created.routingControls))
      out.routingControls[server] = share(`routing-control/${server}`, arn);
    // The endpoints, when the topology lists none: DescribeCluster once, here (ARC's config region).
    if (!sw.endpoints)
      out.endpoints = share('cluster-endpoints', discoverEndpoints(this, this.created.clusterArn!));
    acknowledgeAwsCustomResourceProvider(
      this,
      "CDK's AwsCustomResource provider: at deploy it reads the ARC cluster's endpoints (DescribeCluster on that cluster) and writes them and the created routing control ARNs into an SSM parameter in each server's region (PutParameter/DeleteParameter on those parameters only), for the regional stacks to resolve; it takes no part in a failover.",
    );
    return out;
  }
}
