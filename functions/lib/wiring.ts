/**
 * The ports a step needs, bundled. Handlers build them from the topology once per container
 * ({@link portsFromTopology}); tests and the sandbox pass their own.
 */
import type { Clock } from './clock.ts';
import type {
  AlarmStates,
  ClusterRegistry,
  DnsPointer,
  GlobalLock,
  HealthCheckStatuses,
  MetricsSource,
  Probes,
  RedisPromoter,
} from './ports.ts';
import type { Region } from './topology.ts';

/** A lock handle on one region's Redis member; close it when done. */
export interface LockHandle {
  lock: GlobalLock;
  close(): Promise<void>;
}

/** Other runs of the orchestrator for the same management plane. */
export interface RunRegistry {
  /** Execution ids of other runs still in progress. */
  othersRunning(executionId: string): Promise<string[]>;
}

/** Every port a step may use. */
export interface Ports {
  clock: Clock;
  probes: Probes;
  metrics: MetricsSource;
  promoter: RedisPromoter;
  /** Opens the global lock on a region's Redis member. */
  lock(region: Region): Promise<LockHandle>;
  dns: DnsPointer;
  alarms: AlarmStates;
  healthChecks: HealthCheckStatuses;
  registry: ClusterRegistry;
  runs: RunRegistry;
}
