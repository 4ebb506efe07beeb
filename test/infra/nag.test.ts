import { type Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildTestApp, nagFindings } from './support.ts';

/** Every acknowledgement recorded in a construct tree: rule id -> reasons. */
function acknowledgements(root: IConstruct): { id: string; reason: string; path: string }[] {
  const out: { id: string; reason: string; path: string }[] = [];
  for (const c of root.node.findAll())
    for (const m of c.node.metadata)
      if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        // CDK records an id without a plugin prefix as `Annotation::<id>`; cdk-nag strips it back.
        for (const [id, reason] of Object.entries(m.data as Record<string, string>))
          out.push({
            id: id.replace(/^Annotation::(?=(AwsSolutions|Serverless)-)/, ''),
            reason,
            path: c.node.path,
          });
  return out;
}

describe('cdk-nag (v3, AwsSolutions + Serverless)', () => {
  it('synthesizes the whole app with zero unacknowledged findings', () => {
    const { app } = buildTestApp();
    expect(nagFindings(app)).toEqual([]);
    // The packs are registered as policy-validation plugins: the synth itself runs them.
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    const { app, stacks } = buildTestApp();
    const role = new iam.Role(stacks[0] as Stack, 'Careless', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['route53:ChangeResourceRecordSets'], resources: ['*'] }),
    );
    expect(nagFindings(app)).toContain(
      'AwsSolutions-IAM5[Resource::*] at gloo-mgmt-mgmt-east/Careless/DefaultPolicy/Resource',
    );
    expect(() => app.synth()).toThrow(/wildcard permissions[\s\S]*Careless\/DefaultPolicy/);
  });

  it('gives every acknowledgement its own finding id and a reason', () => {
    const { app } = buildTestApp();
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(10);
    for (const a of acks) {
      expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThan(40);
      // v3 acknowledges one finding per id; a bare IAM5/IAM4 id would not match a granular finding.
      if (/AwsSolutions-IAM[45]/.test(a.id)) expect(a.id, a.path).toMatch(/\[.+\]$/);
    }
    expect([...new Set(acks.map((a) => a.id))].sort()).toEqual([
      'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<RunReportsPagesC021F71E.Arn>/runs/*]',
      // Re-protection: new ids are AWS's region prefix + our generation suffix (constructs/reprotect.ts).
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticache::<AWS::AccountId>:globalreplicationgroup:*gloo-mgmt-g*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticache:us-east-1:<AWS::AccountId>:replicationgroup:gloo-mgmt-east-g*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticache:us-east-1:<AWS::AccountId>:snapshot:gloo-mgmt-east-final-g*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticache:us-west-2:<AWS::AccountId>:replicationgroup:gloo-mgmt-west-g*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticache:us-west-2:<AWS::AccountId>:snapshot:gloo-mgmt-west-final-g*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:us-east-1:<AWS::AccountId>:execution:gloo-mgmt-failover-to-mgmt-east:*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:us-west-2:<AWS::AccountId>:execution:gloo-mgmt-failover-to-mgmt-west:*]',
      'AwsSolutions-S1',
      'AwsSolutions-SQS3',
      'Serverless-LambdaAsyncFailureDestination',
      'Serverless-LambdaDLQ',
      'Serverless-SQSRedrivePolicy',
      'Serverless-StarPermissions',
    ]);
  });
});
