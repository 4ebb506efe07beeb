/**
 * Projected RTO on AWS (outage -> every agent connected to the new, writable server), phase by
 * phase, each with its basis: a document, a measurement made here, or a stated assumption. The
 * same phases are combined two ways, side by side: `sequential` (promotion, lock, then DNS: the
 * strict order, as a failback runs) and `overlapped` (DNS submitted right after verification, the
 * promotion while it propagates, the lock after the promotion: the failover's order, see
 * `defaultOrder` in workflows/definition.ts).
 *
 * Profiles: the vendor's public AWS demo (write to all management clusters, so no lock; failover
 * alias records to internal NLBs, whose TTL is fixed at 60 s) with a data-plane DNS mode, and the
 * repository's example topology (control-plane record change, write to one, a lock).
 */
import type { Topology } from '#lib/topology.ts';

/** Where a figure comes from. */
export type BasisKind = 'document' | 'measurement' | 'assumption';

/** One phase of the projection. */
export interface ProjectedPhase {
  phase: string;
  seconds: number;
  kind: BasisKind;
  basis: string;
}

/** How the relay DNS answer moves to the target. */
export type DnsModeName = 'route53-record' | 'arc-routing-control' | 'health-check-metric';

/** A deployment shape to project. */
export interface ProjectionProfile {
  name: string;
  description: string;
  /** Write-to-all has no lock step (REFERENCE: the recommended vendor mode). */
  writeMode: 'write-to-all' | 'write-to-one';
  dnsMode: DnsModeName;
  /** Record TTL at resolvers (s). */
  ttlSeconds: number;
  ttlBasis: { kind: BasisKind; text: string };
  verification: Topology['verification'];
  reconnectPollSeconds: number;
  agents: number;
}

/** Inputs measured in the same bench run (or null when that section was skipped). */
export interface ProjectionMeasurements {
  /** Median lock compare-and-set on redis-server (ms). */
  lockMs: number | null;
  /** Slowest cold import of the deployed bundles on the path (ms, CPU time of the import). */
  coldImportMs: number | null;
  /** The relay alarm (deploy config). */
  probe: { samplesPerMinute: number; datapointsToAlarm: number };
}

/** The projection of one profile. */
export interface Projection {
  profile: string;
  description: string;
  dnsMode: DnsModeName;
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
/** Route 53 GetChange: INSYNC normally within 60 s (API reference). */
export const INSYNC_SECONDS = 60;
/** 1.x agent: go-utils caps the connect backoff at 2 s and re-resolves DNS per dial (unverified for 2.x). */
export const AGENT_BACKOFF_CAP_SECONDS = 2;
/** CloudWatch high-resolution metric ingestion before the alarm sees a datapoint (assumed). */
export const INGESTION_SECONDS = 5;
/** One Lambda invocation besides its cold import, and one state transition (assumed). */
export const INVOKE_SECONDS = 0.1;

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const quantise = (s: number, step: number) => Math.ceil(s / step) * step;

/** The DNS propagation of a mode: from the switch call to resolvers answering the target. */
export function dnsPhase(p: ProjectionProfile): ProjectedPhase {
  const ttl = `${p.ttlSeconds} s TTL at resolvers (${p.ttlBasis.text})`;
  switch (p.dnsMode) {
    case 'route53-record':
      return {
        phase: 'DNS: record change to resolvers',
        seconds: INSYNC_SECONDS + p.ttlSeconds,
        kind: 'document',
        basis: `Route 53 INSYNC <= ${INSYNC_SECONDS} s (API reference, GetChange) + ${ttl}`,
      };
    case 'arc-routing-control':
      return {
        phase: 'DNS: routing control to resolvers',
        seconds: 10 * 1 + p.ttlSeconds,
        kind: 'assumption',
        basis: `health-check interval x threshold (10 s x 1: stated assumption of the arc-routing-control mode, issue 13) + ${ttl}`,
      };
    case 'health-check-metric':
      return {
        phase: 'DNS: metric health check to resolvers',
        seconds: 60 * 1 + p.ttlSeconds,
        kind: 'assumption',
        basis: `health-check interval x threshold (60 s x 1: a standard-resolution alarm period, Route 53 metric health checks support no high-resolution alarm; issue 13) + ${ttl}`,
      };
  }
}

/** Projects one profile, sequential and overlapped. */
export function projectProfile(p: ProjectionProfile, m: ProjectionMeasurements): Projection {
  const v = p.verification;
  const interval = Math.floor(60 / m.probe.samplesPerMinute);
  const period = [10, 30, 60].find((x) => x >= interval) ?? 60;
  const detection: ProjectedPhase = {
    phase: 'detection',
    seconds: period * m.probe.datapointsToAlarm + INGESTION_SECONDS,
    kind: 'document',
    basis: `relay alarm ${m.probe.datapointsToAlarm} x ${period} s period (CloudWatch high-resolution alarm; deploy.example.json) + ${INGESTION_SECONDS} s ingestion (assumed)`,
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
    p.writeMode === 'write-to-all'
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
  const dns = dnsPhase(p);
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
    phases,
    sequentialSeconds: round(sequential),
    overlappedSeconds: round(overlapped),
    ratio: round(overlapped / sequential, 2),
    criticalPath:
      moved >= writer
        ? `DNS + reconnection (${round(moved)} s) outlasts promotion + lock (${round(writer)} s)`
        : `promotion + lock (${round(writer)} s) outlasts DNS + reconnection (${round(moved)} s)`,
    reportedWithinSeconds: p.reconnectPollSeconds,
  };
}

/** The vendor's public AWS demo (bdlilley/multi-region-demo, REFERENCE) with a data-plane DNS mode. */
export function vendorDemoProfile(
  example: Topology,
  dnsMode: 'arc-routing-control' | 'health-check-metric',
  agents: number,
): ProjectionProfile {
  return {
    name: `vendor-demo (${dnsMode})`,
    description:
      'write to all (no lock), ElastiCache global datastore, failover alias records to internal NLBs',
    writeMode: 'write-to-all',
    dnsMode,
    ttlSeconds: 60,
    ttlBasis: {
      kind: 'document',
      text: 'alias records to an ELB have a fixed 60 s TTL: Route 53 FAQ, DNS failover',
    },
    verification: example.verification,
    reconnectPollSeconds: example.reconnection.pollIntervalSeconds,
    agents,
  };
}

/** The repository's example topology (infra/topology.example.json). */
export function exampleProfile(t: Topology, agents: number): ProjectionProfile {
  return {
    name: 'example (route53-record)',
    description: 'write to one (a lock), ElastiCache global datastore, one CNAME changed by compare-and-swap',
    writeMode: 'write-to-one',
    dnsMode: 'route53-record',
    ttlSeconds: t.dns.ttl,
    ttlBasis: { kind: 'document', text: 'topology dns.ttl' },
    verification: t.verification,
    reconnectPollSeconds: t.reconnection.pollIntervalSeconds,
    agents,
  };
}

/** Assumptions common to every projection. */
export const PROJECTION_ASSUMPTIONS = [
  'RTO = outage start -> every agent connected to the new server with its Redis writable (and the lock moved, in write-to-one). The workflow reports FailedOver up to one reconnection poll later.',
  'No approval gate on the path (a human answer adds its own time).',
  'Detection starts at the first failed probe; an outage starting just after a sample adds up to one probe interval.',
  `Metric ingestion delay of ${INGESTION_SECONDS} s for high-resolution CloudWatch metrics (assumed, not measured).`,
  `Global datastore promotion about ${PROMOTION_SECONDS} s: AWS DR workshop material (the vendor promoter README says 1-2 minutes); unverified here.`,
  'Agents reconnect as the 1.x agent does (go-utils: backoff capped at 2 s, DNS re-resolved per dial); the Gloo 2.x agent is not public: unverified.',
  'Overlapped: DNS is switched right after verification (failover only; the source is verified down), so agents reach the target during the promotion and retry until it serves; sequential: the strict order a failback keeps.',
  `Each Lambda invocation adds ${INVOKE_SECONDS * 1000} ms besides its cold import (assumed).`,
];
