/**
 * The CDK app: one {@link RegionalStack} per management server's region, built from the topology
 * file and the deploy config, with cdk-nag (AwsSolutions + Serverless) checking every synth.
 */
import { readFileSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import { parseTopology, type Topology } from '#lib/topology.ts';
import type { SdkMode } from './bundling.ts';
import { type DeployConfig, loadDeployConfig, resolveInputPath } from './deploy-config.ts';
import { DnsStack, dnsStackRegion } from './dns-stack.ts';
import { addNagChecks } from './nag.ts';
import { RegionalStack, type RegionalStackProps } from './regional-stack.ts';

/** The topology file used when `-c topology=...` is not given. */
export const DEFAULT_TOPOLOGY = 'infra/topology.example.json';
/** The deploy config used when `-c deploy=...` is not given. */
export const DEFAULT_DEPLOY = 'infra/aws/deploy.example.json';

/** What the app is built from. */
export interface AppInputs {
  topology: Topology;
  /** The topology document as written (the Lambdas receive it as TOPOLOGY_JSON). */
  topologyDocument: unknown;
  deploy: DeployConfig;
  sdkMode?: SdkMode;
  codeFor?: RegionalStackProps['codeFor'];
}

/** Reads the topology and deploy config named by the app's context (or the examples). */
export function inputsFromContext(app: App): AppInputs {
  const topologyPath = resolveInputPath(String(app.node.tryGetContext('topology') ?? DEFAULT_TOPOLOGY));
  const deployPath = String(app.node.tryGetContext('deploy') ?? DEFAULT_DEPLOY);
  const topologyDocument = JSON.parse(readFileSync(topologyPath, 'utf8')) as unknown;
  return {
    topology: parseTopology(topologyDocument, topologyPath),
    topologyDocument,
    deploy: loadDeployConfig(deployPath),
  };
}

/** The stack id of a server's region. */
export function stackId(t: Topology, cluster: string): string {
  return `${t.name}-${cluster}`;
}

/** The id of the DNS stack (only with `dns.create`). */
export function dnsStackId(t: Topology): string {
  return `${t.name}-dns`;
}

/**
 * Adds one stack per region that can become active and, with `dns.create`, the DNS stack that
 * creates the failover pair, its health checks and routing controls once (dns-stack.ts); and the
 * cdk-nag checks.
 */
export function buildApp(app: App, inputs: AppInputs): RegionalStack[] {
  const { topology: t, deploy } = inputs;
  const account = deploy.account ? { account: deploy.account } : {};
  const dns = t.dns.create
    ? new DnsStack(app, dnsStackId(t), {
        env: { region: dnsStackRegion(t), ...account },
        description: `Gloo management-plane failover orchestrator (${t.name}): the relay name's failover records, health checks${t.dns.switch.mode === 'arc-routing-control' ? ' and routing controls' : ''} (created once, at deploy)`,
        topology: t,
      })
    : undefined;
  // The created ARNs reach the regional stacks as deploy-time values (arc mode only).
  const createdDns = dns?.shareWith(t.servers.map((s) => s.region));
  const stacks = t.servers.map(
    (server) =>
      new RegionalStack(app, stackId(t, server.id), {
        env: { region: server.region, ...account },
        description: `Gloo management-plane failover orchestrator (${t.name}): failover into ${server.id} (${server.region})${server.id === t.homeServer ? ' and failback to it' : ''}`,
        topology: t,
        topologyDocument: inputs.topologyDocument,
        ...(createdDns ? { createdDns } : {}),
        server,
        deploy,
        sdkMode: inputs.sdkMode,
        codeFor: inputs.codeFor,
        crossRegionReferences: false,
      }),
  );
  // Metric mode: the health checks watch the out-of-service alarms the regional stacks create.
  // ARC mode: the regional stacks resolve the parameters the DNS stack writes.
  if (dns)
    for (const s of stacks)
      if (t.dns.switch.mode === 'health-check-metric') dns.addStackDependency(s);
      else s.addStackDependency(dns);
  addNagChecks(app);
  return stacks;
}
