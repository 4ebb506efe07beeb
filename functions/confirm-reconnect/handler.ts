/** Lambda handler of confirm-reconnect: parses `{ run, plan, reconnect? }`, returns progress. */

import { systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { Plan, Reconnect, Run } from '#lib/state.ts';
import { agentMetricsPort } from '#lib/wire/agent-metrics.ts';
import { clusterRegistryPort } from '#lib/wire/registry.ts';
import * as z from '#lib/z.ts';
import { type ConfirmReconnectPorts, confirmReconnect } from './confirm-reconnect.ts';

/** The payload the workflow sends (`reconnect` is the previous poll's result, absent the first time). */
export const ConfirmReconnectInput = z.strictObject({
  run: Run,
  plan: Plan,
  reconnect: z.nullish(Reconnect),
});

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<ConfirmReconnectPorts>) =>
  makeHandler(
    'ConfirmReconnect',
    ConfirmReconnectInput,
    (input, ctx) =>
      confirmReconnect(input.run, input.plan, input.reconnect ?? undefined, ctx.topology, ctx.ports),
    { ...opts, wire },
  );

/** The target's agent gauges (its pods, or its Prometheus) and the run's expected set (DynamoDB); no Redis. */
const wire = (): ConfirmReconnectPorts => ({
  clock: systemClock,
  agentMetrics: agentMetricsPort(),
  registry: clusterRegistryPort(),
});

/** The Lambda entry point. */
export const handler = createHandler();
