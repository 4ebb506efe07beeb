/** Lambda handler of verify-recovered: parses `{ run }`, returns the verification or throws RecoveryNotConfirmed. */

import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import type { SignalPorts } from '#lib/signals.ts';
import { Run } from '#lib/state.ts';
import * as z from '#lib/z.ts';
import { signalPorts } from '../verify-outage/handler.ts';
import { verifyRecovered } from './verify-recovered.ts';

/** The payload the workflow sends. */
export const VerifyRecoveredInput = z.strictObject({ run: Run });

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<SignalPorts>) =>
  makeHandler(
    'VerifyRecovered',
    VerifyRecoveredInput,
    (input, ctx) => verifyRecovered(input.run, ctx.topology, ctx.ports),
    { ...opts, wire: signalPorts },
  );

/** The Lambda entry point. */
export const handler = createHandler();
