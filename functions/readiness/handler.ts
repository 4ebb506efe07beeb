/**
 * Lambda handler of continuous readiness (EventBridge schedule): evaluates a failover into this
 * region's server (`READINESS_SERVER`) and publishes the verdict. The scheduled event's content is
 * not used; `{ "server": "..." }` overrides the server (a manual invocation).
 */

import { InvalidInput } from '#lib/errors.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import type { Topology } from '#lib/topology.ts';
import { peerDatastorePort, ssmDatastorePort } from '#lib/wire/datastore.ts';
import { dnsInventoryPort } from '#lib/wire/dns.ts';
import { preflightPorts } from '#lib/wire/preflight.ts';
import {
  alarmDetailsPort,
  readinessPublisherPort,
  secretReaderPort,
  slackAuthPort,
} from '#lib/wire/readiness.ts';
import * as z from '#lib/z.ts';
import { DEFAULT_INSUFFICIENT_DATA_MAX_MS, type ReadinessPorts, readiness } from './readiness.ts';

/** The scheduled event, or a manual `{ server }`. */
export const ReadinessInput = z.looseObject({ server: z.optional(z.string().check(z.minLength(1))) });

/** The server and the INSUFFICIENT_DATA bound from the environment (set by the stack). */
export function readinessSettings(env: NodeJS.ProcessEnv = process.env) {
  const minutes = env.READINESS_INSUFFICIENT_DATA_MINUTES;
  const n = minutes === undefined || minutes === '' ? undefined : Number(minutes);
  if (n !== undefined && !(Number.isFinite(n) && n > 0))
    throw new InvalidInput('READINESS_INSUFFICIENT_DATA_MINUTES must be a positive number of minutes');
  return {
    server: env.READINESS_SERVER,
    insufficientDataMaxMs: n === undefined ? DEFAULT_INSUFFICIENT_DATA_MAX_MS : n * 60_000,
  };
}

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<ReadinessPorts>) =>
  makeHandler('Readiness', ReadinessInput, (input, ctx) => run(input.server, ctx.topology, ctx.ports), {
    ...opts,
    wire,
  });

function run(server: string | undefined, t: Topology, ports: ReadinessPorts) {
  const s = readinessSettings();
  const target = server ?? s.server;
  if (!target) throw new InvalidInput('READINESS_SERVER is not set: the server to evaluate is unknown');
  return readiness(t, ports, ports.clock, { target, insufficientDataMaxMs: s.insufficientDataMaxMs });
}

/** Preflight's read-only ports plus the readiness checks' and the publisher. */
const wire = (t: Topology): ReadinessPorts => ({
  ...preflightPorts(t),
  dnsInventory: dnsInventoryPort(t),
  datastores: ssmDatastorePort(t),
  peerDatastores: peerDatastorePort(t),
  secrets: secretReaderPort(),
  slack: slackAuthPort(),
  alarmDetails: alarmDetailsPort(),
  publisher: readinessPublisherPort(),
});

/** The Lambda entry point. */
export const handler = createHandler();
