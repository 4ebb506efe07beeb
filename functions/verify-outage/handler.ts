/** Lambda handler of verify-outage: parses `{ run }`, returns the verification or throws OutageNotConfirmed. */
import * as z from 'zod';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { Run } from '#lib/state.ts';
import { verifyOutage } from './verify-outage.ts';

/** The payload the workflow sends. */
export const VerifyOutageInput = z.strictObject({ run: Run });

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions) =>
  makeHandler(
    'VerifyOutage',
    VerifyOutageInput,
    (input, ctx) => verifyOutage(input.run, ctx.topology, ctx.ports),
    opts,
  );

/** The Lambda entry point. */
export const handler = createHandler();
