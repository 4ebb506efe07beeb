/**
 * The ports preflight reads, wired for AWS: Redis (roles, lock), the DNS switch and its data-plane
 * answers, probes, the lock adapter's readiness, last-seen clusters, other runs. Shared by the
 * preflight step and continuous readiness (which runs the same preflight as a dry run).
 */
import type { PreflightPorts } from '#functions/preflight/preflight.ts';
import { systemClock } from '../clock.ts';
import { meshctlReadiness } from '../lock/from-topology.ts';
import { netProbes } from '../probes.ts';
import { nodeTlsCheck } from '../tls-check.ts';
import type { Topology } from '../topology.ts';
import { agentMetricsPort, pemPort } from './agent-metrics.ts';
import { dnsAnswersPort, dnsSwitchPort } from './dns.ts';
import { leftoverLockPort, redisLockPort } from './lock.ts';
import { redisPromoterPort } from './promoter.ts';
import { clusterRegistryPort } from './registry.ts';
import { runRegistryPort } from './runs.ts';

/** Preflight's read-only ports from the topology. */
export function preflightPorts(t: Topology): PreflightPorts {
  return {
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
  };
}
