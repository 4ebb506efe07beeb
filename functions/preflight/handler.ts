/** Lambda handler of preflight: parses `{ run }`, builds the ports, returns the plan. */

import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { Run } from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import { preflightPorts } from '#lib/wire/preflight.ts';
import * as z from '#lib/z.ts';
import { type PreflightPorts, preflight } from './preflight.ts';

/** The payload the workflow sends. */
export const PreflightInput = z.strictObject({ run: Run });

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<PreflightPorts>) =>
  makeHandler('Preflight', PreflightInput, (input, ctx) => preflight(input.run, ctx.topology, ctx.ports), {
    ...opts,
    wire,
  });

/** The ports preflight reads (functions/lib/wire/preflight.ts). */
const wire = (t: Topology): PreflightPorts => preflightPorts(t);

/** The Lambda entry point. */
export const handler = createHandler();
