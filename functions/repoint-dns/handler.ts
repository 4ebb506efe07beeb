/** Lambda handler of repoint-dns: `{ action: 'change', run }` or `{ action: 'poll', run, dns }`. */
import * as z from 'zod';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { DnsResult, Run } from '#lib/state.ts';
import { pollDns, repointDns } from './repoint-dns.ts';

/** The payload the workflow sends. */
export const RepointDnsInput = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('change'), run: Run }),
  z.strictObject({ action: z.literal('poll'), run: Run, dns: DnsResult }),
]);

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions) =>
  makeHandler(
    'RepointDns',
    RepointDnsInput,
    (input, ctx) =>
      input.action === 'change'
        ? repointDns(input.run, ctx.topology, ctx.ports)
        : pollDns(input.dns, ctx.ports),
    opts,
  );

/** The Lambda entry point. */
export const handler = createHandler();
