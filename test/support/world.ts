/**
 * A sandbox plus the ports the steps use on it, for end-to-end tests. The sandbox is stopped when
 * the test finishes (pass or fail).
 */

import type { Run } from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';
import type { Sandbox, SandboxOptions } from '#local/sandbox/index.ts';
import { sandboxPorts } from '#local/sandbox/ports.ts';
import { useSandbox } from '#local/sandbox/testing.ts';

/** The sandbox and its ports. */
export interface World {
  sb: Sandbox;
  t: Topology;
  ports: Ports;
  /** A run description: failover A -> B, or failback B -> A. */
  run(direction?: 'failover' | 'failback', input?: Partial<Run['input']>): Run;
}

/** Starts a sandbox (5 agents by default) and waits until it has recorded the clusters on A. */
export async function useWorld(
  opts: SandboxOptions = {},
  topology?: (t: Topology) => Topology,
): Promise<World> {
  const sb = await useSandbox({ agents: 5, ...opts });
  const t = topology ? topology(sb.topology) : sb.topology;
  const ports = sandboxPorts(t);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const seen = await ports.registry.lastSeen(sb.clusters[0]);
    if (seen && seen.clusters.length === sb.agents.count) break;
    if (Date.now() > deadline) throw new Error('the sandbox did not record the agents of A in time');
    await new Promise((r) => setTimeout(r, 50));
  }
  const [a, b] = sb.regionNames;
  const [ca, cb] = sb.clusters;
  return {
    sb,
    t,
    ports,
    run: (direction = 'failover', input = {}) => ({
      direction,
      source: direction === 'failover' ? { server: ca, region: a } : { server: cb, region: b },
      target: direction === 'failover' ? { server: cb, region: b } : { server: ca, region: a },
      executionId: `test-${crypto.randomUUID()}`,
      input: {
        trigger: 'manual',
        incidentId: 'test',
        dryRun: false,
        requestedBy: 'test',
        force: { lock: false, skipVerification: false, dns: false, detachRedis: false },
        ...input,
      },
    }),
  };
}
