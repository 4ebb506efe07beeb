/** Lambda handler of repoint-dns: `{ action: 'change', run }` or `{ action: 'poll', run, dns }`. */

import { systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { DnsResult, Run } from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import { dnsAnswersPort, dnsSwitchPort } from '#lib/wire/dns.ts';
import * as z from '#lib/z.ts';
import { pollDns, type RepointDnsPorts, repointDns } from './repoint-dns.ts';

/** The payload the workflow sends. */
export const RepointDnsInput = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('change'), run: Run }),
  z.strictObject({ action: z.literal('poll'), run: Run, dns: DnsResult }),
]);

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<RepointDnsPorts>) =>
  makeHandler(
    'RepointDns',
    RepointDnsInput,
    (input, ctx) =>
      input.action === 'change'
        ? repointDns(input.run, ctx.topology, ctx.ports)
        : pollDns(input.dns, input.run, ctx.ports),
    { ...opts, wire },
  );

/** The DNS switch the topology selects and the data-plane answers that confirm it, nothing else. */
const wire = (t: Topology): RepointDnsPorts => ({
  clock: systemClock,
  dnsSwitch: dnsSwitchPort(t),
  dnsAnswers: dnsAnswersPort(t),
});

/** The Lambda entry point. */
export const handler = createHandler();
