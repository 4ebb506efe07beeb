/** Lambda handler of switch-lock: parses `{ run, plan }`, returns holder and epoch. */

import { systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { meshctlFromTopology } from '#lib/lock/from-topology.ts';
import { Plan, Run } from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import { redisLockPort } from '#lib/wire/lock.ts';
import * as z from '#lib/z.ts';
import { type SwitchLockPorts, switchLock } from './switch-lock.ts';

/** The payload the workflow sends. */
export const SwitchLockInput = z.strictObject({ run: Run, plan: Plan });

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<SwitchLockPorts>) =>
  makeHandler(
    'SwitchLock',
    SwitchLockInput,
    (input, ctx) => switchLock(input.run, input.plan, ctx.topology, ctx.ports),
    { ...opts, wire },
  );

/** The lock adapter of the topology: the lock on the Redis members (redis-key), or meshctl. */
const wire = (t: Topology): SwitchLockPorts => ({
  clock: systemClock,
  lock: redisLockPort(t),
  switchActive: meshctlFromTopology(t),
});

/** The Lambda entry point. */
export const handler = createHandler();
