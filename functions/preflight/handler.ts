/** Lambda handler of preflight: parses `{ run }`, builds the ports, returns the plan. */
import * as z from 'zod';
import { systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { meshctlReadiness } from '#lib/lock/from-topology.ts';
import { netProbes } from '#lib/probes.ts';
import { Run } from '#lib/state.ts';
import { nodeTlsCheck } from '#lib/tls-check.ts';
import type { Topology } from '#lib/topology.ts';
import { agentMetricsPort, pemPort } from '#lib/wire/agent-metrics.ts';
import { dnsAnswersPort, dnsSwitchPort } from '#lib/wire/dns.ts';
import { leftoverLockPort, redisLockPort } from '#lib/wire/lock.ts';
import { redisPromoterPort } from '#lib/wire/promoter.ts';
import { clusterRegistryPort } from '#lib/wire/registry.ts';
import { runRegistryPort } from '#lib/wire/runs.ts';
import { type PreflightPorts, preflight } from './preflight.ts';

/** The payload the workflow sends. */
export const PreflightInput = z.strictObject({ run: Run });

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<PreflightPorts>) =>
  makeHandler('Preflight', PreflightInput, (input, ctx) => preflight(input.run, ctx.topology, ctx.ports), {
    ...opts,
    wire,
  });

/** The ports preflight reads: Redis (roles, lock), the DNS record, probes, last-seen clusters, other runs. */
const wire = (t: Topology): PreflightPorts => ({
  clock: systemClock,
  probes: netProbes,
  agentMetrics: agentMetricsPort(),
  tls: nodeTlsCheck,
  pem: pemPort(),
  promoter: redisPromoterPort(t, systemClock),
  lock: redisLockPort(t),
  dnsSwitch: dnsSwitchPort(t),
  dnsAnswers: dnsAnswersPort(t),
  lockReadiness: meshctlReadiness(t),
  leftoverLock: leftoverLockPort(t),
  registry: clusterRegistryPort(),
  runs: runRegistryPort(),
});

/** The Lambda entry point. */
export const handler = createHandler();
