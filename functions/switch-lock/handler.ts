/** Lambda handler of switch-lock: parses `{ run, plan }`, returns holder and epoch. */
import * as z from 'zod';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { Plan, Run } from '#lib/state.ts';
import { switchLock } from './switch-lock.ts';

/** The payload the workflow sends. */
export const SwitchLockInput = z.strictObject({ run: Run, plan: Plan });

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions) =>
  makeHandler(
    'SwitchLock',
    SwitchLockInput,
    (input, ctx) => switchLock(input.run, input.plan, ctx.ports),
    opts,
  );

/** The Lambda entry point. */
export const handler = createHandler();
