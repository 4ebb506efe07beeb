/** Builds the workflows of a deployment from its topology. */
import type { EndpointRef } from '#lib/state.ts';
import { peerOf, serverById, type Topology } from '#lib/topology.ts';
import { buildWorkflow, type WorkflowFunctions, type WorkflowOptions } from './definition.ts';

/** The run direction and the server it moves to. */
export interface Route {
  direction: 'failover' | 'failback';
  /** The id of the server that becomes active. Failback always targets `topology.homeServer`. */
  targetServer: string;
}

const ref = (t: Topology, id: string): EndpointRef => {
  const s = serverById(t, id);
  return { server: s.id, region: s.region };
};

/** The workflow options for a route, from the topology's policies. */
export function workflowOptions(
  t: Topology,
  route: Route,
  functions: WorkflowFunctions,
  overrides: Partial<WorkflowOptions> = {},
): WorkflowOptions {
  const target = ref(t, route.direction === 'failback' ? t.homeServer : route.targetServer);
  const source = ref(t, peerOf(t, target.server).id);
  const v = t.verification;
  return {
    direction: route.direction,
    source,
    target,
    functions,
    configMode: t.configMode,
    ...(t.lock.adapter === 'meshctl' ? { lockTimeoutSeconds: t.lock.timeoutSeconds + 30 } : {}),
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
