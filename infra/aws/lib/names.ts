/**
 * Names shared by the regional stack's constructs and the tests: the state machines, the relay
 * alarm, the workflow functions' ASL placeholders.
 */
import type { Server, Topology } from '#lib/topology.ts';
import { WORKFLOW_FUNCTION_KEYS, type WorkflowFunctions } from '#workflows/definition.ts';
import type { Route } from '#workflows/from-topology.ts';
import type { FunctionKey } from './functions.ts';

/** The workflow function keys, in `WorkflowFunctions` order. */
export const WORKFLOW_KEYS = WORKFLOW_FUNCTION_KEYS satisfies readonly (keyof WorkflowFunctions &
  FunctionKey)[];

/** The ASL placeholder of a function's ARN (`${preflight}`), replaced through DefinitionSubstitutions. */
export const placeholder = (key: string) => `\${${key}}`;

/** The workflow functions as placeholders, as the state machines are defined. */
export const PLACEHOLDER_FUNCTIONS = Object.fromEntries(
  WORKFLOW_KEYS.map((k) => [k, placeholder(k)]),
) as unknown as WorkflowFunctions;

/** The name of a state machine of this deployment. */
export function stateMachineName(t: Topology, route: Route): string {
  return `${t.name}-${route.direction}-to-${route.direction === 'failback' ? t.homeServer : route.targetServer}`;
}

/** The name of the relay alarm this region raises about `peer` (the first of its alarm names). */
export function relayAlarmName(t: Topology, peer: Server): string {
  return peer.alarmNames[0] ?? `${t.name}-${peer.id}-relay-unreachable`;
}

/** `healthProbe` -> `HealthProbe`: the construct id of a function. */
export function pascal(k: string): string {
  return k.charAt(0).toUpperCase() + k.slice(1);
}
