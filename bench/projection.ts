/**
 * Projected RTO on AWS (outage -> every agent connected to the new, writable server), phase by
 * phase, each with its basis: a document, a measurement made here, or a stated assumption. The
 * same phases are combined two ways, side by side: `sequential` (promotion, lock, then DNS: the
 * strict order, as a failback runs) and `overlapped` (DNS submitted right after verification, the
 * promotion while it propagates, the lock after the promotion: the failover's order, see
 * `defaultOrder` in workflows/definition.ts).
 *
 * The DNS phase of each profile is its mode's own basis from `dnsRtoBasis` (functions/lib/dns-modes.ts):
 * `route53-record` INSYNC + TTL; `health-check-metric` and `arc-routing-control` health-check
 * interval x failure threshold + TTL. Detection is the relay alarm the CDK app deploys from the
 * deploy config (infra/aws/lib/constructs/probe.ts reads the same `probe` section).
 *
 * Profiles: the vendor's public AWS demo (infra/topology.failover-alias.example.json: write to all,
 * so no lock; failover alias records to internal NLBs, whose TTL is fixed at 60 s) in each
 * data-plane DNS mode, and the repository's example topology (infra/topology.example.json).
 */
import { type DnsMode, type DnsRtoBasis, dnsRtoBasis } from '#lib/dns-modes.ts';
import type { Topology } from '#lib/topology.ts';
import { type DeployConfig, relayAlarmPeriodSeconds } from '../infra/aws/lib/deploy-config.ts';

/** Where a figure comes from. */
export type BasisKind = 'document' | 'measurement' | 'assumption';

/** One phase of the projection. */
export interface ProjectedPhase {
  phase: string;
  seconds: number;
  kind: BasisKind;
  basis: string;
}

/** A deployment shape to project: a topology and the DNS mode to project it in. */
export interface ProjectionProfile {
  name: string;
  description: string;
  topology: Topology;
  /** The DNS switch mode projected (its basis from `dnsRtoBasis`). */
  dnsMode: DnsMode;
  agents: number;
}

/** The relay alarm that starts a failover, as deployed. */
export interface DetectionBasis {
  periodSeconds: number;
  datapointsToAlarm: number;
  evaluationPeriods: number;
  /** Where the settings come from (e.g. the deploy config file). */
  source: string;
}

/** The relay alarm the CDK app deploys from a deploy config (probe.ts reads the same fields). */
export function detectionFromDeploy(deploy: Pick<DeployConfig, 'probe'>, source: string): DetectionBasis {
  return {
    periodSeconds: relayAlarmPeriodSeconds(deploy.probe.samplesPerMinute),
    datapointsToAlarm: deploy.probe.relayAlarm.datapointsToAlarm,
    evaluationPeriods: deploy.probe.relayAlarm.evaluationPeriods,
    source,
  };
}

/** Inputs measured in the same bench run (or null when that section was skipped). */
export interface ProjectionMeasurements {
  /** Median lock compare-and-set on redis-server (ms). */
  lockMs: number | null;
  /** Slowest cold import of the deployed bundles on the path (ms, CPU time of the import). */
  coldImportMs: number | null;
  /** The relay alarm (deploy config). */
  detection: DetectionBasis;
}

/** The projection of one profile. */
export interface Projection {
  profile: string;
  description: string;
  dnsMode: DnsMode;
  /** The DNS mode's own basis (`dnsRtoBasis`), term by term. */
  dns: DnsRtoBasis;
  phases: ProjectedPhase[];
  sequentialSeconds: number;
  overlappedSeconds: number;
  /** overlapped / sequential. */
  ratio: number;
  /** Which branch of the overlapped switch is the longer one. */
  criticalPath: string;
  /** The workflow reports FailedOver up to one reconnection poll later (observation, not service). */
  reportedWithinSeconds: number;
}

/** Global datastore promotion: about 60 s (AWS DR workshop); 1-2 min (vendor promoter README). */
export const PROMOTION_SECONDS = 60;
/** The workflow's promotion poll (workflows/definition.ts default). */
export const PROMOTION_POLL_SECONDS = 15;
/** 1.x agent: go-utils caps the connect backoff at 2 s and re-resolves DNS per dial (unverified for 2.x). */
export const AGENT_BACKOFF_CAP_SECONDS = 2;
/** CloudWatch high-resolution metric ingestion before the alarm sees a datapoint (assumed). */
export const INGESTION_SECONDS = 5;
/** One Lambda invocation besides its cold import, and one state transition (assumed). */
export const INVOKE_SECONDS = 0.1;

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const quantise = (s: number, step: number) => Math.ceil(s / step) * step;

/** The DNS propagation of a mode, from the switch call to resolvers answering the target: `dnsRtoBasis`. */
export function dnsPhase(t: Topology, mode: DnsMode): { phase: ProjectedPhase; basis: DnsRtoBasis } {
  const basis = dnsRtoBasis(t, mode);
  const label: Record<DnsMode, string> = {
    'route53-record': 'DNS: record change to resolvers',
    'arc-routing-control': 'DNS: routing control to resolvers',
    'health-check-metric': 'DNS: metric health check to resolvers',
  };
  return {
    basis,
    phase: {
      phase: label[mode],
      seconds: basis.seconds,
      // INSYNC and the TTL are documented; how fast a data-plane health check follows its routing
      // control or alarm is the configured reaction (stated, see README).
      kind: mode === 'route53-record' ? 'document' : 'assumption',
      basis: `${basis.basis}: ${basis.terms.map((x) => `${x.name} ${x.seconds} s (${x.source})`).join(' + ')}`,
    },
  };
}

/** Projects one profile, sequential and overlapped. */
export function projectProfile(p: ProjectionProfile, m: ProjectionMeasurements): Projection {
  const t = p.topology;
  const v = t.verification;
  const d = m.detection;
  const detection: ProjectedPhase = {
    phase: 'detection',
    seconds: d.periodSeconds * d.datapointsToAlarm + INGESTION_SECONDS,
    kind: 'document',
    basis: `relay alarm ${d.datapointsToAlarm} of ${d.evaluationPeriods} x ${d.periodSeconds} s datapoints (CloudWatch high-resolution alarm, PutMetricAlarm Period; ${d.source}) + ${INGESTION_SECONDS} s ingestion (assumed)`,
  };
  const verification: ProjectedPhase = {
    phase: 'verification',
    seconds: (v.probeAttempts - 1) * v.probeIntervalSeconds + (v.probeAttempts * v.probeTimeoutMs) / 1000,
    kind: 'document',
    basis: `${v.probeAttempts} probe attempts ${v.probeIntervalSeconds} s apart, each waiting its ${v.probeTimeoutMs} ms timeout (a region that is down drops packets) (topology)`,
  };
  const coldImport = (m.coldImportMs ?? 400) / 1000;
  // trigger, preflight, verify and the first switch step: the Lambdas before the switch begins
  const lambdas = 4;
  const orchestration: ProjectedPhase = {
    phase: 'Lambdas before the switch',
    seconds: round(lambdas * (coldImport + INVOKE_SECONDS), 1),
    kind: m.coldImportMs === null ? 'assumption' : 'measurement',
    basis: `${lambdas} cold Lambdas (trigger, preflight, verify, first switch step) x (${m.coldImportMs === null ? '400 ms public figure' : `${round(m.coldImportMs, 0)} ms measured cold import (CPU)`} + ${INVOKE_SECONDS * 1000} ms invoke, assumed)`,
  };
  const promotion: ProjectedPhase = {
    phase: 'Redis promotion',
    seconds: quantise(PROMOTION_SECONDS, PROMOTION_POLL_SECONDS),
    kind: 'assumption',
    basis: `global datastore promotion ~${PROMOTION_SECONDS} s (AWS DR workshop; 1-2 min in the vendor promoter README; unverified), seen by the ${PROMOTION_POLL_SECONDS} s poll`,
  };
  const lock: ProjectedPhase =
    t.configMode === 'write-to-all'
      ? {
          phase: 'lock switch',
          seconds: 0,
          kind: 'document',
          basis: 'write to all management clusters: no lock to move (vendor docs, REFERENCE)',
        }
      : {
          phase: 'lock switch',
          seconds: round(((m.lockMs ?? 1) + INVOKE_SECONDS * 1000) / 1000, 2),
          kind: m.lockMs === null ? 'assumption' : 'measurement',
          basis: `${m.lockMs === null ? '~1 ms' : `${round(m.lockMs, 2)} ms measured`} Lua compare-and-set + ${INVOKE_SECONDS * 1000} ms invoke`,
        };
  const { phase: dns, basis: dnsBasis } = dnsPhase(t, p.dnsMode);
  const reconnect: ProjectedPhase = {
    phase: 'agent reconnection',
    seconds: AGENT_BACKOFF_CAP_SECONDS,
    kind: 'document',
    basis: `1.x agent (go-utils ReconnectOnNetworkFailures): connect backoff capped at ${AGENT_BACKOFF_CAP_SECONDS} s, DNS re-resolved per dial; UNVERIFIED for Gloo 2.x`,
  };
  const phases = [detection, verification, orchestration, promotion, lock, dns, reconnect];
  const start = detection.seconds + verification.seconds + orchestration.seconds;
  const writer = promotion.seconds + lock.seconds;
  const moved = dns.seconds + reconnect.seconds;
  const sequential = start + writer + INVOKE_SECONDS + moved;
  const overlapped = start + Math.max(writer, moved);
  return {
    profile: p.name,
    description: p.description,
    dnsMode: p.dnsMode,
    dns: dnsBasis,
    phases,
    sequentialSeconds: round(sequential),
    overlappedSeconds: round(overlapped),
    ratio: round(overlapped / sequential, 2),
    criticalPath:
      moved >= writer
        ? `DNS + reconnection (${round(moved)} s) outlasts promotion + lock (${round(writer)} s)`
        : `promotion + lock (${round(writer)} s) outlasts DNS + reconnection (${round(moved)} s)`,
    reportedWithinSeconds: t.reconnection.pollIntervalSeconds,
  };
}

/**
 * The vendor's public AWS demo (bdlilley/multi-region-demo, REFERENCE) in a data-plane DNS mode:
 * `t` is infra/topology.failover-alias.example.json (its failover alias pair to internal NLBs),
 * projected in write-to-all as the demo runs it (no lock step), whatever lock that file configures.
 */
export function vendorDemoProfile(
  t: Topology,
  dnsMode: 'arc-routing-control' | 'health-check-metric',
  agents: number,
): ProjectionProfile {
  return {
    name: `vendor-demo (${dnsMode})`,
    description:
      'write to all as the demo runs it (no lock), ElastiCache global datastore, failover alias records to internal NLBs',
    topology: { ...t, configMode: 'write-to-all', lock: { adapter: 'none' } },
    dnsMode,
    agents,
  };
}

/** The repository's example topology (infra/topology.example.json), in its own DNS mode. */
export function exampleProfile(t: Topology, agents: number): ProjectionProfile {
  return {
    name: `example (${t.dns.switch.mode})`,
    description: `${t.configMode}${t.configMode === 'write-to-all' ? ' (no lock)' : ' (a lock)'}, ${t.redis.kind === 'elasticache-global' ? 'ElastiCache global datastore' : 'REPLICAOF'}, ${t.dns.switch.mode === 'route53-record' ? 'one record changed by compare-and-swap' : 'a failover pair'}`,
    topology: t,
    dnsMode: t.dns.switch.mode,
    agents,
  };
}

/** Assumptions common to every projection. */
export const PROJECTION_ASSUMPTIONS = [
  'RTO = outage start -> every agent connected to the new server with its Redis writable (and the lock moved, in write-to-one). The workflow reports FailedOver up to one reconnection poll later.',
  'No approval gate on the path (a human answer adds its own time).',
  'Detection starts at the first failed probe; an outage starting just after a sample adds up to one probe interval. The relay alarm only starts the workflow: its verification step confirms the outage by its own quorum before anything moves.',
  `Metric ingestion delay of ${INGESTION_SECONDS} s for high-resolution CloudWatch metrics (assumed, not measured).`,
  `Global datastore promotion about ${PROMOTION_SECONDS} s: AWS DR workshop material (the vendor promoter README says 1-2 minutes); unverified here.`,
  'Agents reconnect as the 1.x agent does (go-utils: backoff capped at 2 s, DNS re-resolved per dial); the Gloo 2.x agent is not public: unverified.',
  'Overlapped: DNS is switched right after verification (failover only; the source is verified down), so agents reach the target during the promotion and retry until it serves; sequential: the strict order a failback keeps.',
  `Each Lambda invocation adds ${INVOKE_SECONDS * 1000} ms besides its cold import (assumed).`,
];
