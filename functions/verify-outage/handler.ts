/** Lambda handler of verify-outage: parses `{ run }`, returns the verification or throws OutageNotConfirmed. */

import { systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { netProbes } from '#lib/probes.ts';
import type { SignalPorts } from '#lib/signals.ts';
import { Run } from '#lib/state.ts';
import { alarmStatesPort, healthCheckStatusesPort } from '#lib/wire/signals.ts';
import * as z from '#lib/z.ts';
import { verifyOutage } from './verify-outage.ts';

/** The payload the workflow sends. */
export const VerifyOutageInput = z.strictObject({ run: Run });

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<SignalPorts>) =>
  makeHandler(
    'VerifyOutage',
    VerifyOutageInput,
    (input, ctx) => verifyOutage(input.run, ctx.topology, ctx.ports),
    {
      ...opts,
      wire: signalPorts,
    },
  );

/** The quorum's ports: probes from here, CloudWatch alarm states, Route 53 health checks. */
export const signalPorts = (): SignalPorts => ({
  clock: systemClock,
  probes: netProbes,
  alarms: alarmStatesPort(),
  healthChecks: healthCheckStatusesPort(),
});

/** The Lambda entry point. */
export const handler = createHandler();
