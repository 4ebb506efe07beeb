/**
 * The ports a step needs, bundled. Handlers build them from the topology once per container
 * (its handler's `wire`, from the factories in ./wire/); tests and the sandbox pass their own.
 */

import type { ActiveSignalPorts } from './active-signal.ts';
import type { Clock } from './clock.ts';
import type { AgentMetrics } from './metrics/reading.ts';
import type {
  AlarmStates,
  ClusterRegistry,
  DatastoreRegistry,
  DnsAnswers,
  DnsInventory,
  DnsPointer,
  DnsSwitch,
  GlobalLock,
  HealthCheckStatuses,
  Probes,
  RedisPromoter,
  RedisReprotector,
  SwitchActive,
} from './ports.ts';
import type { PemSource } from './readiness.ts';
import type { TlsCheck } from './tls-check.ts';
import type { Region } from './topology.ts';

/** A lock handle on one region's Redis member; close it when done. */
export interface LockHandle {
  lock: GlobalLock;
  close(): Promise<void>;
}

/** Another run still in progress. */
export interface RunningRun {
  id: string;
  /** ISO-8601 start time, when known: the earlier run goes on, the later one is refused. */
  startedAt?: string;
}

/** Other runs of the orchestrator for the same management plane. */
export interface RunRegistry {
  /** Other runs still in progress (not `executionId` itself). */
  othersRunning(executionId: string): Promise<RunningRun[]>;
}

/** Every port a step may use. */
export interface Ports {
  clock: Clock;
  probes: Probes;
  /** The relay gauges of a server, from its pods or its Prometheus (the topology says which). */
  agentMetrics: AgentMetrics;
  /** TLS handshakes (relay readiness, telemetry gateway). */
  tls: TlsCheck;
  /** Root CAs named by the topology (inline PEM or a Secrets Manager secret). */
  pem: PemSource;
  /** The active-server signal (SSM parameters, webhook); absent: no signal is sent. */
  signal?: ActiveSignalPorts;
  promoter: RedisPromoter;
  /** Opens the `redis-key` global lock on a region's Redis member (that adapter only). */
  lock(region: Region): Promise<LockHandle>;
  /** The `meshctl` lock adapter (that adapter only). */
  switchActive?: SwitchActive;
  /**
   * Whether the lock adapter can act for a server (meshctl: its kube context is configured); read
   * by preflight. Absent: nothing to check.
   */
  lockReadiness?: (serverId: string) => Promise<{ ok: boolean; detail: string }>;
  /**
   * write-to-all: the value of a lock key a previous write-to-one run left on a region's Redis
   * (null when absent). Read by preflight, which warns.
   */
  leftoverLock?: (region: Region) => Promise<{ key: string; value: string } | null>;
  dns: DnsPointer;
  /** Switches the relay name the way `dns.switch.mode` says. */
  dnsSwitch: DnsSwitch;
  /** The relay name as the DNS data plane answers it (confirms a switch). */
  dnsAnswers: DnsAnswers;
  alarms: AlarmStates;
  healthChecks: HealthCheckStatuses;
  registry: ClusterRegistry;
  runs: RunRegistry;
  /** The DNS pointer's parts as the control plane lists them (continuous readiness only). */
  dnsInventory?: DnsInventory;
  /** The datastore record re-protection writes (absent -> the static topology only). */
  datastores?: DatastoreRegistry;
  /** Re-protection of the shared Redis (the reprotect workflow only). */
  reprotector?: RedisReprotector;
}
