/** Lambda handler of reprotect: `{ action: 'plan' | 'advance' | 'report', ... }`. */

import { systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { CaughtError } from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import { ssmDatastorePort } from '#lib/wire/datastore.ts';
import { redisPromoterPort } from '#lib/wire/promoter.ts';
import { redisReprotectorPort } from '#lib/wire/reprotector.ts';
import type { Ports } from '#lib/wiring.ts';
import * as z from '#lib/z.ts';
import {
  advanceReprotect,
  planReprotect,
  REPROTECT_OUTCOMES,
  ReprotectPlan,
  ReprotectProgress,
  ReprotectRun,
  reprotectReport,
} from './reprotect.ts';

/** The payload the workflow sends. */
export const ReprotectStepInput = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('plan'), run: ReprotectRun }),
  z.strictObject({
    action: z.literal('advance'),
    run: ReprotectRun,
    plan: ReprotectPlan,
    reprotect: z.nullable(ReprotectProgress),
  }),
  z.object({
    action: z.literal('report'),
    run: ReprotectRun,
    outcome: z.object({ name: z.enum(REPROTECT_OUTCOMES), error: z.optional(CaughtError) }),
    plan: z.nullish(ReprotectPlan),
    reprotect: z.nullish(ReprotectProgress),
  }),
]);

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<ReprotectPorts>) =>
  makeHandler(
    'Reprotect',
    ReprotectStepInput,
    async (input, ctx): Promise<unknown> => {
      switch (input.action) {
        case 'plan':
          return planReprotect(input.run, ctx.topology, ctx.ports);
        case 'advance':
          return advanceReprotect(input.run, input.plan, input.reprotect, ctx.ports);
        default:
          return reprotectReport(input);
      }
    },
    { ...opts, wire },
  );

/** The ports reprotect uses. */
export type ReprotectPorts = Pick<Ports, 'clock' | 'promoter' | 'datastores' | 'reprotector'>;

/** The Redis promoter (to read roles), the datastore record and the re-protection adapter. */
const wire = (t: Topology): ReprotectPorts => ({
  clock: systemClock,
  promoter: redisPromoterPort(t, systemClock),
  datastores: ssmDatastorePort(t),
  reprotector: redisReprotectorPort(t),
});

/** The Lambda entry point. */
export const handler = createHandler();
