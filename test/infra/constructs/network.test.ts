import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { Network } from '../../../infra/aws/lib/constructs/network.ts';
import { deploy, TestStack, templateOf, topologyWith, warningsOf } from './support.ts';

describe('network placement', () => {
  it('places nothing in a VPC, and says so, when the deploy config has no network for the region', () => {
    // prepare
    const stack = new TestStack('eu-west-1');
    // act
    const network = new Network(stack, 'Network', { topology: topologyWith(), deploy });
    // assess
    expect(network.placement).toBeUndefined();
    expect(warningsOf(stack)).toEqual([
      expect.stringMatching(/^no network for eu-west-1 in the deploy config/),
    ]);
  });

  it("uses the deploy config's security groups when it names some, creating none", () => {
    // prepare
    const stack = new TestStack('us-west-2');
    // act
    const network = new Network(stack, 'Network', { topology: topologyWith(), deploy });
    // assess
    expect(network.placement?.securityGroups.map((g) => g.securityGroupId)).toEqual(['sg-0f1e2d3c4b5a69788']);
    expect(network.placement?.subnets.map((s) => s.subnetId)).toEqual([
      'subnet-0f1e2d3c4b5a60001',
      'subnet-0f1e2d3c4b5a60002',
    ]);
    expect(stack.node.findAll().filter((c) => c instanceof ec2.SecurityGroup)).toEqual([]);
  });

  it("otherwise creates a security group whose egress is HTTPS and the topology's ports only", () => {
    // prepare
    const stack = new TestStack('us-east-1');
    const topology = topologyWith((d) => {
      d.servers[0].relayAddress = 'mgmt-east.gloo.internal.example.com:9901';
    });
    // act
    new Network(stack, 'Network', { topology, deploy });
    // assess
    const t = templateOf(stack);
    t.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0a1b2c3d4e5f60718',
      SecurityGroupEgress: [443, 4317, 6379, 8090, 9091, 9900, 9901].map((p) =>
        Match.objectLike({ IpProtocol: 'tcp', FromPort: p, ToPort: p }),
      ),
    });
  });
});
