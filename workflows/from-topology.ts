/** Builds the workflows of a deployment from its topology. */
import type { EndpointRef } from '#lib/state.ts';
import { peerOf, serverByCluster, type Topology } from '#lib/topology.ts';
import { buildWorkflow, type WorkflowFunctions, type WorkflowOptions } from './definition.ts';

/** The run direction and the cluster it moves to. */
export interface Route {
  direction: 'failover' | 'failback';
  /** The cluster that becomes active. Failback always targets `topology.homeCluster`. */
  targetCluster: string;
}

const ref = (t: Topology, cluster: string): EndpointRef => {
  const s = serverByCluster(t, cluster);
  return { cluster: s.cluster, region: s.region };
};

/** The workflow options for a route, from the topology's policies. */
export function workflowOptions(
  t: Topology,
  route: Route,
  functions: WorkflowFunctions,
  overrides: Partial<WorkflowOptions> = {},
): WorkflowOptions {
  const target = ref(t, route.direction === 'failback' ? t.homeCluster : route.targetCluster);
  const source = ref(t, peerOf(t, target.cluster).cluster);
  const v = t.verification;
  return {
    direction: route.direction,
    source,
    target,
    functions,
    gates: t.approvals.gates,
    approval: { timeoutSeconds: t.approvals.timeoutSeconds, onTimeout: t.approvals.onTimeout },
    reconnect: {
      seconds: t.reconnection.pollIntervalSeconds,
      maxPolls: Math.max(1, Math.ceil(t.reconnection.timeoutSeconds / t.reconnection.pollIntervalSeconds)),
    },
    verifyTimeoutSeconds:
      Math.ceil(v.probeAttempts * (v.probeIntervalSeconds + v.probeTimeoutMs / 1000)) + 60,
    ...overrides,
  };
}

/** The ASL of a route. */
export function workflowFor(
  t: Topology,
  route: Route,
  functions: WorkflowFunctions,
  overrides: Partial<WorkflowOptions> = {},
) {
  return buildWorkflow(workflowOptions(t, route, functions, overrides));
}
