/** Lambda handler of promote-redis: `{ action: 'start', run }` or `{ action: 'poll', run, promotion }`. */

import { systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { Promotion, Run } from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import { redisPromoterPort } from '#lib/wire/promoter.ts';
import type { Ports } from '#lib/wiring.ts';
import * as z from '#lib/z.ts';
import { pollPromotion, startPromotion } from './promote-redis.ts';

/** The payload the workflow sends. */
export const PromoteRedisInput = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('start'), run: Run }),
  z.strictObject({ action: z.literal('poll'), run: Run, promotion: Promotion }),
]);

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<PromoteRedisPorts>) =>
  makeHandler(
    'PromoteRedis',
    PromoteRedisInput,
    (input, ctx) =>
      input.action === 'start'
        ? startPromotion(input.run, ctx.ports)
        : pollPromotion(input.run, input.promotion, ctx.ports),
    { ...opts, wire },
  );

/** The ports promote-redis uses. */
export type PromoteRedisPorts = Pick<Ports, 'promoter' | 'clock'>;

/** The topology's Redis promoter (ElastiCache Global Datastore or `REPLICAOF`). */
const wire = (t: Topology): PromoteRedisPorts => ({
  clock: systemClock,
  promoter: redisPromoterPort(t, systemClock),
});

/** The Lambda entry point. */
export const handler = createHandler();
