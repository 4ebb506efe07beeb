/**
 * `dns.create`: the DNS stack creates the failover pair, its health checks and (ARC) the routing
 * controls once, and the regional stacks' IAM names exactly what it created. One synth per mode.
 *
 * CloudFormation shapes, from the CloudFormation Template Reference: "AWS::Route53::RecordSet"
 * (Failover, SetIdentifier, HealthCheckId, AliasTarget / TTL + ResourceRecords), "AWS::Route53::
 * HealthCheck HealthCheckConfig" (Type RECOVERY_CONTROL + RoutingControlArn; CLOUDWATCH_METRIC +
 * AlarmIdentifier + InsufficientDataHealthStatus), "AWS::Route53RecoveryControl::Cluster",
 * "::ControlPanel", "::RoutingControl" (ClusterArn, ControlPanelArn, Name), "::SafetyRule"
 * (AssertionRule AssertedControls + WaitPeriodMs, RuleConfig Type ATLEAST / Threshold / Inverted).
 * IAM: Service Authorization Reference, "Actions, resources, and condition keys for Amazon Route 53
 * Recovery Cluster": Get/UpdateRoutingControlState(s) take the `routingcontrol` resource type.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseTopology } from '#lib/topology.ts';
import { createdDnsIssues, DnsStack } from '../../infra/aws/lib/dns-stack.ts';
import { buildTestApp, nagFindings } from './support.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Json = any;

const ARC_FILE = 'infra/topology.dns-create.example.json';

function metricDoc(): Json {
  const doc = JSON.parse(readFileSync(ARC_FILE, 'utf8'));
  doc.dns.switch = {
    mode: 'health-check-metric',
    alarms: {
      'mgmt-east': { alarmName: 'gloo-mgmt-east-out-of-service', region: 'us-west-2' },
      'mgmt-west': { alarmName: 'gloo-mgmt-west-out-of-service', region: 'us-east-1' },
    },
  };
  // Plain records this time (the ARC synth has the alias pair).
  for (const r of ['primary', 'secondary']) delete doc.dns.failover[r].alias;
  doc.dns.recordType = 'CNAME';
  return doc;
}

function fileOf(doc: Json): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dns-create-')), 'topology.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** Every statement of the policies whose logical id starts with `role`. */
function grants(t: Template, role: string): { actions: string[]; resources: Json[] }[] {
  return Object.entries(t.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(role))
    .flatMap(([, p]) => (p as Json).Properties.PolicyDocument.Statement as Json[])
    .map((s) => ({ actions: [s.Action].flat(), resources: [s.Resource].flat() }));
}

function synth(topology: string) {
  const t0 = performance.now();
  const { app } = buildTestApp({ topology });
  const findings = nagFindings(app);
  const assembly = app.synth();
  const byId = new Map(assembly.stacks.map((s) => [s.stackName, Template.fromJSON(s.template)]));
  return { findings, byId, assembly, ms: Math.round(performance.now() - t0) };
}

/** The SSM parameter the DNS stack writes `key` into (its name carries the inputs' fingerprint). */
function parameterName(dns: Template, key: string): string {
  const names = (Object.values(dns.findResources('Custom::AWS')) as Json[])
    .map((r) => JSON.stringify(r.Properties.Create))
    .map((c) => /\\"Name\\":\\"(\/[^\\]+)\\"/.exec(c)?.[1])
    .filter((n): n is string => !!n && n.endsWith(`/${key}`));
  expect(new Set(names).size, key).toBe(1);
  expect(names[0]).toMatch(/^\/gloo-ha-demo\/dns\/[0-9a-f]{8}\//);
  return names[0]!;
}

/** The stacks a stack depends on (not its asset manifests). */
function stackDependencies(a: { dependencies: { id: string }[] }): string[] {
  return a.dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets'));
}

/**
 * Route 53 in a regional stack: at most reading the records of the one hosted zone and the
 * health checks (readiness's DnsPointer check, read-only: the created ids are unknown to the
 * regional stack, hence any health check); no change.
 */
function expectRecordsReadOnly(all: { actions: string[]; resources: Json[] }[], role: string): void {
  for (const g of all.filter((x) => x.actions.some((a) => a.startsWith('route53:')))) {
    if (g.actions.includes('route53:GetHealthCheck')) {
      expect(g.actions, role).toEqual(['route53:GetHealthCheck']);
      expect(JSON.stringify(g.resources), role).toMatch(/:route53:::healthcheck\/\*"\]\]\}\]$/);
      continue;
    }
    expect(g.actions, role).toEqual(['route53:ListResourceRecordSets']);
    expect(JSON.stringify(g.resources), role).toMatch(
      /^\[\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":route53:::hostedzone\/Z0123456789ABCDEFGHIJ"\]\]\}\]$/,
    );
  }
}

const ROLES = ['PreflightRole', 'ReportRole', 'VerifyOutageRole', 'RepointDnsRole', 'ReadinessRole'];

describe('dns.create: the DNS stack creates the failover pair once, and IAM names what it created', () => {
  it('arc-routing-control: cluster, panel, two routing controls, an ATLEAST 1 assertion rule, RECOVERY_CONTROL health checks and the alias pair in gloo-ha-demo-dns (us-west-2); only repoint-dns updates, only those two controls; nag clean', () => {
    // prepare + act
    const { findings, byId, assembly, ms } = synth(ARC_FILE);
    console.info(`arc create synth: ${ms} ms`);
    // assess
    expect(findings).toEqual([]);
    expect([...byId.keys()].sort()).toEqual([
      'gloo-ha-demo-dns',
      'gloo-ha-demo-mgmt-east',
      'gloo-ha-demo-mgmt-west',
    ]);
    const dnsArtifact = assembly.getStackByName('gloo-ha-demo-dns');
    expect(dnsArtifact.environment.region).toBe('us-west-2');
    const dns = byId.get('gloo-ha-demo-dns')!;
    dns.resourceCountIs('AWS::Route53RecoveryControl::Cluster', 1);
    dns.resourceCountIs('AWS::Route53RecoveryControl::ControlPanel', 1);
    dns.resourceCountIs('AWS::Route53RecoveryControl::RoutingControl', 2);
    const controls = dns.findResources('AWS::Route53RecoveryControl::RoutingControl');
    const controlIds = Object.keys(controls).sort();
    for (const c of Object.values(controls) as Json[])
      expect(c.Properties).toMatchObject({
        ClusterArn: { 'Fn::GetAtt': [expect.stringMatching(/^ArcCluster/), 'ClusterArn'] },
        ControlPanelArn: { 'Fn::GetAtt': [expect.stringMatching(/^ControlPanel/), 'ControlPanelArn'] },
      });
    dns.hasResourceProperties('AWS::Route53RecoveryControl::SafetyRule', {
      RuleConfig: { Type: 'ATLEAST', Threshold: 1, Inverted: false },
      AssertionRule: {
        AssertedControls: controlIds.map((id) => ({ 'Fn::GetAtt': [id, 'RoutingControlArn'] })),
        WaitPeriodMs: 5000,
      },
    });
    const checks = dns.findResources('AWS::Route53::HealthCheck');
    expect(Object.keys(checks)).toHaveLength(2);
    for (const c of Object.values(checks) as Json[]) {
      expect(c.Properties.HealthCheckConfig.Type).toBe('RECOVERY_CONTROL');
      expect(controlIds).toContain(c.Properties.HealthCheckConfig.RoutingControlArn['Fn::GetAtt'][0]);
    }
    const records = Object.values(dns.findResources('AWS::Route53::RecordSet')) as Json[];
    expect(records.map((r) => r.Properties.Failover).sort()).toEqual(['PRIMARY', 'SECONDARY']);
    const primary = records.find((r) => r.Properties.Failover === 'PRIMARY')!.Properties;
    expect(primary).toMatchObject({
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      Name: 'mgmt.ha-demo.example',
      Type: 'A',
      SetIdentifier: 'mgmt-east-primary',
      HealthCheckId: { 'Fn::GetAtt': [expect.stringMatching(/^HealthCheckMgmtEast/), 'HealthCheckId'] },
      AliasTarget: {
        HostedZoneId: 'Z26RNL4JYFTOTI',
        DNSName: expect.stringMatching(/elb\.us-east-1\.amazonaws\.com$/),
        EvaluateTargetHealth: true,
      },
    });
    expect(primary.TTL).toBeUndefined();
    // Deleting the DNS stack never takes the relay name or its routing controls down.
    for (const type of [
      'AWS::Route53::RecordSet',
      'AWS::Route53::HealthCheck',
      'AWS::Route53RecoveryControl::RoutingControl',
      'AWS::Route53RecoveryControl::Cluster',
    ])
      for (const r of Object.values(dns.findResources(type)) as Json[])
        expect([r.DeletionPolicy, r.UpdateReplacePolicy], type).toEqual(['Retain', 'Retain']);

    // The regional stacks resolve the created ARNs from their own region's SSM parameters.
    for (const [id, artifact] of [
      ['gloo-ha-demo-mgmt-east', assembly.getStackByName('gloo-ha-demo-mgmt-east')],
      ['gloo-ha-demo-mgmt-west', assembly.getStackByName('gloo-ha-demo-mgmt-west')],
    ] as const) {
      expect(stackDependencies(artifact)).toEqual(['gloo-ha-demo-dns']);
      const t = byId.get(id)!;
      const controlRefs = ['mgmt-east', 'mgmt-west'].map(
        (s) => `{{resolve:ssm:${parameterName(dns, `routing-control/${s}`)}}}`,
      );
      const update = grants(t, 'RepointDnsRole').filter((g) =>
        g.actions.includes('route53-recovery-cluster:UpdateRoutingControlStates'),
      );
      expect(update).toHaveLength(1);
      expect(update[0]!.resources.sort()).toEqual(controlRefs);
      for (const role of ROLES) {
        const all = grants(t, role);
        const arcGrants = all.filter((g) => g.actions.some((a) => a.startsWith('route53-recovery-cluster:')));
        for (const g of arcGrants) expect(g.resources.sort(), role).toEqual(controlRefs);
        expectRecordsReadOnly(all, role);
        const actions = all.flatMap((g) => g.actions);
        if (role !== 'RepointDnsRole')
          expect(actions, role).not.toContain('route53-recovery-cluster:UpdateRoutingControlStates');
      }
      // The functions that use the switch get each created control in its own variable (whole value
      // resolved by CloudFormation); the endpoints are discovered from the created cluster.
      const fns = Object.values(t.findResources('AWS::Lambda::Function')) as Json[];
      const withControls = fns
        .map((f) => f.Properties.Environment?.Variables ?? {})
        .filter((v) => v.ARC_ROUTING_CONTROL_MGMT_EAST);
      expect(withControls).toHaveLength(4); // preflight, report, repoint-dns, readiness
      for (const v of withControls)
        expect([v.ARC_ROUTING_CONTROL_MGMT_EAST, v.ARC_ROUTING_CONTROL_MGMT_WEST]).toEqual(controlRefs);
      for (const v of withControls)
        expect(v.ARC_CLUSTER_ENDPOINTS).toBe(`{{resolve:ssm:${parameterName(dns, 'cluster-endpoints')}}}`);
      // No custom resource in the regional stacks: the DNS stack discovered the endpoints.
      t.resourceCountIs('Custom::AWS', 0);
    }
    // DescribeCluster once (on the created cluster, in us-west-2), and each value written once per
    // region by the DNS stack, each custom resource's policy scoped to its one parameter.
    const custom = dns.findResources('Custom::AWS');
    const describe = Object.entries(custom).filter(([id]) => id.startsWith('DescribeArcCluster'));
    expect(describe).toHaveLength(1);
    const shares = Object.entries(custom).filter(([id]) => id.startsWith('Share'));
    expect(shares.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'ShareClusterEndpointsUsEast1',
      'ShareClusterEndpointsUsWest2',
      'ShareRoutingControlMgmtEastUsEast1',
      'ShareRoutingControlMgmtEastUsWest2',
      'ShareRoutingControlMgmtWestUsEast1',
      'ShareRoutingControlMgmtWestUsWest2',
    ]);
    const statements = Object.entries(dns.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('Share'))
      .flatMap(([, p]) => (p as Json).Properties.PolicyDocument.Statement as Json[]);
    expect(statements).toHaveLength(6);
    for (const s of statements) {
      expect([s.Action].flat().sort()).toEqual(['ssm:DeleteParameter', 'ssm:PutParameter']);
      expect(JSON.stringify(s.Resource)).toMatch(
        /:ssm:us-(east-1|west-2):[^*]*:parameter\/gloo-ha-demo\/dns\/[0-9a-f]{8}\/[a-z/-]+"/,
      );
    }
    // The topology the functions receive still parses, with the created ARNs (here: what CFN will put).
    const doc = JSON.parse(readFileSync(ARC_FILE, 'utf8'));
    const arn = (n: string) =>
      `arn:aws:route53-recovery-control::111122223333:controlpanel/0123456789abcdef0123456789abcdef/routingcontrol/${n}`;
    doc.dns.switch.routingControls = { 'mgmt-east': { arn: arn('e') }, 'mgmt-west': { arn: arn('w') } };
    expect(parseTopology(doc).dns.create).toBe(true);
  });

  it('health-check-metric: CLOUDWATCH_METRIC health checks on each server’s out-of-service alarm with InsufficientDataHealthStatus Healthy, the plain pair, in the home region, deployed after the stacks that hold the alarms; nag clean', () => {
    const { findings, byId, assembly, ms } = synth(fileOf(metricDoc()));
    console.info(`metric create synth: ${ms} ms`);
    expect(findings).toEqual([]);
    const artifact = assembly.getStackByName('gloo-ha-demo-dns');
    expect(artifact.environment.region).toBe('us-east-1');
    expect(stackDependencies(artifact).sort()).toEqual(['gloo-ha-demo-mgmt-east', 'gloo-ha-demo-mgmt-west']);
    const dns = byId.get('gloo-ha-demo-dns')!;
    dns.resourceCountIs('AWS::Route53RecoveryControl::RoutingControl', 0);
    dns.resourceCountIs('Custom::AWS', 0);
    dns.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Name: 'gloo-mgmt-east-out-of-service', Region: 'us-west-2' },
        InsufficientDataHealthStatus: 'Healthy',
      },
    });
    dns.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Name: 'gloo-mgmt-west-out-of-service', Region: 'us-east-1' },
        InsufficientDataHealthStatus: 'Healthy',
      },
    });
    const records = Object.values(dns.findResources('AWS::Route53::RecordSet')) as Json[];
    const secondary = records.find((r) => r.Properties.Failover === 'SECONDARY')!.Properties;
    expect(secondary).toMatchObject({
      Type: 'CNAME',
      TTL: '30',
      SetIdentifier: 'mgmt-west-secondary',
      ResourceRecords: [expect.stringMatching(/elb\.us-west-2\.amazonaws\.com$/)],
      HealthCheckId: { 'Fn::GetAtt': [expect.stringMatching(/^HealthCheckMgmtWest/), 'HealthCheckId'] },
    });
    expect(secondary.AliasTarget).toBeUndefined();
    // Each alarm is created by the stack of the region that takes over from its server.
    const alarm = (id: string) =>
      (Object.values(byId.get(id)!.findResources('AWS::CloudWatch::Alarm')) as Json[])
        .map((a) => a.Properties.AlarmName)
        .filter((n: string) => /out-of-service/.test(n));
    expect(alarm('gloo-ha-demo-mgmt-west')).toEqual(['gloo-mgmt-east-out-of-service']);
    expect(alarm('gloo-ha-demo-mgmt-east')).toEqual(['gloo-mgmt-west-out-of-service']);
    // Nothing in the regional stacks touches records or health checks.
    for (const id of ['gloo-ha-demo-mgmt-east', 'gloo-ha-demo-mgmt-west'])
      for (const role of ROLES) expectRecordsReadOnly(grants(byId.get(id)!, role), `${id} ${role}`);
  });

  it('reuses a named cluster and control panel: only the routing controls, rule, health checks and records are created; listed endpoints are not discovered', () => {
    // prepare: the DNS stack alone (no regional stacks: a small synth)
    const doc = JSON.parse(readFileSync(ARC_FILE, 'utf8'));
    const cluster =
      'arn:aws:route53-recovery-control::111122223333:cluster/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
    const panel =
      'arn:aws:route53-recovery-control::111122223333:controlpanel/1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e';
    doc.dns.switch.clusterArn = cluster;
    doc.dns.switch.controlPanelArn = panel;
    doc.dns.switch.endpoints = [
      { region: 'us-west-2', endpoint: 'https://host-a.us-west-2.example.com/v1' },
      { region: 'eu-west-1', endpoint: 'https://host-b.eu-west-1.example.com/v1' },
    ];
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    // act
    const stack = new DnsStack(app, 'dns', { env: { region: 'us-west-2' }, topology: parseTopology(doc) });
    const shared = stack.shareWith(['us-east-1', 'us-west-2']);
    const t = Template.fromStack(stack);
    // assess
    t.resourceCountIs('AWS::Route53RecoveryControl::Cluster', 0);
    t.resourceCountIs('AWS::Route53RecoveryControl::ControlPanel', 0);
    t.resourceCountIs('AWS::Route53RecoveryControl::RoutingControl', 2);
    t.allResourcesProperties('AWS::Route53RecoveryControl::RoutingControl', {
      ClusterArn: cluster,
      ControlPanelArn: panel,
    });
    t.hasResourceProperties('AWS::Route53RecoveryControl::SafetyRule', { ControlPanelArn: panel });
    expect(shared.endpoints).toBeUndefined();
    expect(
      Object.keys(t.findResources('Custom::AWS')).filter((id) => id.startsWith('DescribeArcCluster')),
    ).toEqual([]);
    expect(nagFindings(app)).toEqual([]);
    // Another cluster replaces the routing controls: the parameter names change with it, so the
    // regional templates change and CloudFormation resolves the new ARNs.
    const created = new DnsStack(new App(), 'dns', {
      env: { region: 'us-west-2' },
      topology: parseTopology(JSON.parse(readFileSync(ARC_FILE, 'utf8'))),
    }).shareWith(['us-east-1']);
    expect(created.routingControls['mgmt-east']).not.toEqual(shared.routingControls['mgmt-east']);
  });

  it('refuses, naming the field, an id the deployment would create, and create with route53-record', () => {
    // prepare
    const doc = metricDoc();
    doc.dns.failover.primary.healthCheckId = '0f3e1d2c-4b5a-4697-8877-665544332211';
    doc.dns.switch.alarms['mgmt-west'].healthCheckId = '1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d';
    // act
    const issues = createdDnsIssues(parseTopology(doc));
    // assess
    expect(issues).toEqual([
      'dns.failover.primary.healthCheckId: leave it out with dns.create (the deployment creates the health check)',
      'dns.switch.alarms.mgmt-west.healthCheckId: leave it out with dns.create (the deployment creates the health check)',
    ]);
    expect(() => buildTestApp({ topology: fileOf(doc) })).toThrow(
      /dns\.failover\.primary\.healthCheckId: leave it out/,
    );
    const record = metricDoc();
    record.dns.switch = { mode: 'route53-record' };
    delete record.dns.failover;
    expect(() => parseTopology(record)).toThrow(/dns\.create[\s\S]*data-plane modes only/);
  });

  it('without dns.create, every id stays required, naming the field and the way out', () => {
    const doc = JSON.parse(readFileSync(ARC_FILE, 'utf8'));
    doc.dns.create = false;
    expect(() => parseTopology(doc)).toThrow(/dns\.switch\.routingControls\.mgmt-east\.arn: required/);
    expect(() => parseTopology(doc)).toThrow(
      /dns\.failover\.primary\.healthCheckId: required[^\n]*dns\.create/,
    );
    expect(() => parseTopology(doc)).toThrow(/dns\.switch\.clusterArn: required/);
  });
});
