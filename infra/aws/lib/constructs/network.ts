/**
 * Where the functions that reach Redis and the management servers run: the deploy config's VPC
 * and subnets (the topology has no VPC fields), with its security groups or, when it names none,
 * one whose egress is limited to the topology's ports and HTTPS.
 */
import { Annotations, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { serverEgressPorts, type Topology } from '#lib/topology.ts';
import type { DeployConfig } from '../deploy-config.ts';
import { acknowledge } from '../nag.ts';
import { Concern } from './concern.ts';
import type { VpcPlacement } from './step-function.ts';

/** Props of {@link Network}. */
export interface NetworkProps {
  topology: Topology;
  deploy: DeployConfig;
}

const portOf = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));

/** The VPC placement of the stack's region, or none (with a synth warning). */
export class Network extends Concern {
  /** The placement; undefined when the deploy config has no network for the region. */
  readonly placement?: VpcPlacement;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const t = props.topology;
    const region = Stack.of(this).region as keyof DeployConfig['regions'];
    const net = props.deploy.regions[region];
    if (!net) {
      Annotations.of(Stack.of(this)).addWarningV2(
        'gloo-failover:noVpc',
        `no network for ${region} in the deploy config: functions run outside any VPC`,
      );
      return;
    }
    const zones = [...new Set(net.subnets.map((s) => s.availabilityZone ?? `${region}-unknown`))];
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: net.vpcId, availabilityZones: zones });
    const subnets = net.subnets.map((s, i) => {
      const subnet = ec2.Subnet.fromSubnetAttributes(this, `Subnet${i}`, {
        subnetId: s.subnetId,
        ...(s.availabilityZone ? { availabilityZone: s.availabilityZone } : {}),
      });
      acknowledge(
        subnet,
        'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        'The subnet only places Lambda ENIs; this stack adds no routes, so its route table is never read.',
      );
      return subnet;
    });
    if (net.securityGroupIds.length > 0) {
      const securityGroups = net.securityGroupIds.map((sgId, i) =>
        ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, sgId, { mutable: false }),
      );
      this.placement = { vpc, subnets, securityGroups };
      return;
    }
    const sg = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc,
      description: `gloo-failover ${t.name}: Lambdas reaching Redis, the management servers and AWS APIs`,
      allowAllOutbound: false,
    });
    const ports = new Set<number>([443]);
    const udp = new Set<number>();
    for (const s of t.servers) {
      const e = serverEgressPorts(s);
      for (const p of e.tcp) ports.add(p);
      for (const p of e.udp) udp.add(p);
    }
    for (const m of Object.values(t.redis.members)) if (m) ports.add(portOf(m.endpoint));
    for (const p of [...ports].sort((a, b) => a - b))
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(p), `to port ${p} (topology endpoint or AWS API)`);
    for (const p of [...udp].sort((a, b) => a - b))
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.udp(p), `to DNS port ${p} (headless Service resolution)`);
    this.placement = { vpc, subnets, securityGroups: [sg] };
  }
}
