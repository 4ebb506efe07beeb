/**
 * The DNS switch in CDK, per mode (topology `dns.switch.mode`): the whole app synthesizes cdk-nag
 * clean, and IAM is scoped to the named record, routing controls or alarms. IAM action names from
 * the Service Authorization Reference (route53-recovery-cluster, cloudwatch, route53).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildTestApp, nagFindings } from './support.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Json = any;

const ARC_FILE = 'infra/topology.failover-alias.example.json';

function metricTopologyFile(): string {
  const doc = JSON.parse(readFileSync(ARC_FILE, 'utf8'));
  doc.dns.switch = {
    mode: 'health-check-metric',
    alarms: {
      'mgmt-east': {
        alarmName: 'gloo-mgmt-east-out-of-service',
        region: 'us-west-2',
        healthCheckId: '0f3e1d2c-4b5a-4697-8877-665544332211',
      },
      'mgmt-west': {
        alarmName: 'gloo-mgmt-west-out-of-service',
        region: 'us-east-1',
        healthCheckId: '1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d',
      },
    },
  };
  const file = join(mkdtempSync(join(tmpdir(), 'dns-switch-')), 'topology.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** Every (action, resource, condition) of the policies whose logical id starts with `role`. */
function grants(t: Template, role: string): { actions: string[]; resources: Json[]; condition?: Json }[] {
  return Object.entries(t.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(role))
    .flatMap(([, p]) => (p as Json).Properties.PolicyDocument.Statement as Json[])
    .map((s) => ({ actions: [s.Action].flat(), resources: [s.Resource].flat(), condition: s.Condition }));
}

function synth(topology: string) {
  const { app, stacks } = buildTestApp({ topology });
  const findings = nagFindings(app);
  app.synth();
  return { findings, templates: stacks.map((s) => Template.fromStack(s)) };
}

describe('the DNS switch in CDK', () => {
  it('arc-routing-control: nag clean; only repoint-dns may update, and only the two routing controls; no record change anywhere', () => {
    // prepare + act
    const { findings, templates } = synth(ARC_FILE);
    // assess
    expect(findings).toEqual([]);
    const doc = JSON.parse(readFileSync(ARC_FILE, 'utf8'));
    const controls = Object.values(doc.dns.switch.routingControls)
      .map((c) => (c as { arn: string }).arn)
      .sort();
    for (const t of templates) {
      const update = grants(t, 'RepointDnsRole').filter((g) =>
        g.actions.includes('route53-recovery-cluster:UpdateRoutingControlStates'),
      );
      expect(update).toHaveLength(1);
      expect(update[0]!.resources.sort()).toEqual(controls);
      // Readiness runs preflight as a dry run: it reads the routing controls too, and changes nothing.
      const readinessReads = grants(t, 'ReadinessRole').filter((g) =>
        g.actions.includes('route53-recovery-cluster:GetRoutingControlState'),
      );
      expect(readinessReads.flatMap((g) => g.resources).sort()).toEqual(controls);
      for (const role of [
        'PreflightRole',
        'ReportRole',
        'VerifyOutageRole',
        'RepointDnsRole',
        'ReadinessRole',
      ]) {
        const all = grants(t, role).flatMap((g) => g.actions);
        expect(all, role).not.toContain('route53:ChangeResourceRecordSets');
        expect(all, role).not.toContain('route53:GetHealthCheckStatus');
        if (role !== 'RepointDnsRole')
          expect(all, role).not.toContain('route53-recovery-cluster:UpdateRoutingControlStates');
      }
      // The endpoints are not in the topology: discovered once at deploy, into the functions' environment.
      const fns = Object.values(t.findResources('AWS::Lambda::Function')) as Json[];
      const withEndpoints = fns.filter((f) => f.Properties.Environment?.Variables?.ARC_CLUSTER_ENDPOINTS);
      expect(withEndpoints.length).toBe(4); // preflight, report, repoint-dns, readiness
    }
  });

  it('health-check-metric: nag clean; PutMetricData only into the switch namespace; DescribeAlarms on the two named alarms; each region holds its peer’s alarm', () => {
    const { findings, templates } = synth(metricTopologyFile());
    expect(findings).toEqual([]);
    for (const t of templates) {
      const put = grants(t, 'RepointDnsRole').find((g) => g.actions.includes('cloudwatch:PutMetricData'))!;
      expect(put.condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'GlooFailover/Dns' } });
      const describe = grants(t, 'PreflightRole').find((g) =>
        g.actions.includes('cloudwatch:DescribeAlarms'),
      )!;
      expect(JSON.stringify(describe.resources)).toMatch(/alarm:gloo-mgmt-east-out-of-service/);
      expect(JSON.stringify(describe.resources)).toMatch(/alarm:gloo-mgmt-west-out-of-service/);
      const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Json[];
      const out = alarms.filter((a) => /out-of-service/.test(a.Properties.AlarmName));
      expect(out).toHaveLength(1);
      expect(out[0].Properties).toMatchObject({
        Namespace: 'GlooFailover/Dns',
        MetricName: 'OutOfService',
        Statistic: 'Maximum',
        Period: 60,
        TreatMissingData: 'ignore',
      });
    }
    // us-east-1's stack holds mgmt-west's alarm, us-west-2's holds mgmt-east's.
    const names = templates.map((t) =>
      (Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Json[])
        .map((a) => a.Properties.AlarmName)
        .find((n: string) => /out-of-service/.test(n)),
    );
    expect(names).toEqual(['gloo-mgmt-west-out-of-service', 'gloo-mgmt-east-out-of-service']);
  });

  it('route53-record: only repoint-dns changes records, only the relay name and type, only DELETE + CREATE; verify reads health-check metrics, not GetHealthCheckStatus', () => {
    const { templates } = synth('infra/topology.example.json');
    for (const t of templates) {
      const change = grants(t, 'RepointDnsRole').find((g) =>
        g.actions.includes('route53:ChangeResourceRecordSets'),
      )!;
      expect(change.condition['ForAllValues:StringEquals']).toEqual({
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['mgmt-server.gloo.example.com'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
        'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
      });
      const verify = grants(t, 'VerifyOutageRole').flatMap((g) => g.actions);
      expect(verify).toContain('cloudwatch:GetMetricData');
      expect(verify).not.toContain('route53:GetHealthCheckStatus');
      expect(grants(t, 'RepointDnsRole').flatMap((g) => g.actions)).not.toContain('route53:GetChange');
    }
  });
});
