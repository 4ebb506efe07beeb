/**
 * Ports: the small interfaces step logic is written against. Each has a real AWS adapter and, where
 * one exists, a real non-AWS adapter (see DESIGN.md section 3). The topology picks the adapter.
 */
import type { Region } from './topology.ts';

// ---------------------------------------------------------------------------------------------
// GlobalLock: the Redis key that says which management cluster may write.

/** What the lock key holds now. */
export interface LockState {
  /** The cluster named by the lock value, or null when the key is absent. */
  holder: string | null;
  /** The raw value of the lock key (the format is configurable). */
  rawValue: string | null;
  /** The fencing epoch: rises by one on every switch, never decreases. 0 when never switched. */
  epoch: number;
}

/** A compare-and-set of the lock. */
export interface LockSwitchRequest {
  /** The holder we believe is current; the switch is refused when someone else holds it (unless `force`). */
  expectedHolder: string | null;
  newHolder: string;
  /** Take the lock whoever holds it. The epoch still only rises. */
  force?: boolean;
  /** The new epoch is at least this + 1 (e.g. the epoch read before an unplanned promotion lost writes). */
  minEpoch?: number;
  /** Report what would change; change nothing. */
  dryRun?: boolean;
  /**
   * Write even where the member refuses writes for lack of replicas (`min-replicas-to-write`,
   * self-managed Redis): in one MULTI/EXEC the setting is lowered to 0, the switch runs and the
   * setting is restored, so no other client's write gets in between. Only the fencing pass sets
   * it, to name the live holder in an island the data layer already fences.
   */
  throughReplicaFence?: boolean;
}

/** The result of a switch. */
export interface LockSwitchResult {
  outcome: 'switched' | 'already-held' | 'would-switch';
  previous: LockState;
  holder: string;
  epoch: number;
}

/** The global lock. */
export interface GlobalLock {
  read(): Promise<LockState>;
  /** Compare-and-set; throws `LockHeldByOther` when held by someone other than the expected holder. */
  switch(req: LockSwitchRequest): Promise<LockSwitchResult>;
}

// ---------------------------------------------------------------------------------------------
// SwitchActive: the vendor CLI's lock switch (write-to-one mode, lock adapter `meshctl`).

/** The three documented arguments of `meshctl experimental switch-active`. */
export interface SwitchActiveRequest {
  kubeContext: string;
  mgmtClusterName: string;
  redisAddress: string;
}

/** What an external command did (output redacted). */
export interface CommandResult {
  argv: string[];
  /** null when it was killed or never started. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs the lock switch for one management cluster. */
export interface SwitchActive {
  run(req: SwitchActiveRequest): Promise<CommandResult>;
}

// ---------------------------------------------------------------------------------------------
// RedisPromoter: which member of the shared Redis is primary, and promoting another one.

/** The role of one Redis member as its control plane (or the member itself) reports it. */
export type RedisRole = 'primary' | 'replica' | 'standalone' | 'unknown';

/** One member (one region) of the shared Redis. */
export interface RedisMemberState {
  region: Region;
  role: RedisRole;
  /** Whether the member (or its regional control plane) answered. */
  reachable: boolean;
  /** For a replica: whether its link to the primary is up and it has caught up within the bound. */
  inSync?: boolean;
  /** For a replica: bytes behind the primary, when known. */
  lagBytes?: number | null;
  /**
   * For a primary: it refuses writes by itself (`min-replicas-to-write`: fewer good replicas than
   * required; Redis answers NOREPLICAS). A fenced island, or an active primary whose replica is gone.
   */
  refusesWrites?: boolean;
  /** Free text from the source (ElastiCache member status, INFO fields). */
  detail?: string;
}

/** The shared Redis as a whole. */
export interface RedisState {
  members: RedisMemberState[];
  /** The region whose member is primary (writable), or null when none / unknown. */
  primaryRegion: Region | null;
  /** ElastiCache global datastore status (`available`, `modifying`, `primary-only` ...), when known. */
  groupStatus?: string;
}

/** A request to make `targetRegion`'s member the primary. */
export interface PromoteRequest {
  sourceRegion: Region;
  targetRegion: Region;
  dryRun: boolean;
  /**
   * The operator's explicit consent (`force.detachRedis`) to detach the target from a replicated
   * datastore instead of promoting it in place: irreversible, loses unreplicated writes. Adapters
   * without such an action ignore it.
   */
  detach?: boolean;
}

/** How a promotion is going. Polled by the workflow (Wait + Choice), never slept on in a Lambda. */
export interface PromotionStatus {
  state: 'complete' | 'in-progress' | 'noop' | 'would-promote';
  /** planned: the old primary answered and was demoted in order; unplanned: it did not. */
  mode: 'planned' | 'unplanned' | 'none';
  targetRegion: Region;
  /** For an unplanned promotion: what may have been lost. */
  possibleDataLoss?: { lagBytes: number | null; detail: string };
  detail: string;
}

/** Promotes a member of the shared Redis. */
export interface RedisPromoter {
  describe(): Promise<RedisState>;
  /** Starts (or, for fast adapters, performs) the promotion. Idempotent: target already primary -> `noop`. */
  promote(req: PromoteRequest): Promise<PromotionStatus>;
  /** `complete` once the target reports itself primary and accepts a write. */
  status(req: { targetRegion: Region; mode: PromotionStatus['mode'] }): Promise<PromotionStatus>;
  /**
   * Re-protects primaries that run without data-layer fencing once a replica is attached again
   * (self-managed `replicaof` only: `min-replicas-to-write`); absent where the service manages it.
   */
  protect?(): Promise<{ protected: Region[]; detail: string }>;
}

// ---------------------------------------------------------------------------------------------
// DnsPointer: the record agents resolve to find the active server.

/** The record's current content. */
export interface DnsRecord {
  ttl: number;
  values: string[];
}

/** Result of a compare-and-swap. */
export interface DnsSwapResult {
  outcome: 'changed' | 'already' | 'would-change';
  /** Poll {@link DnsPointer.changeStatus} with this until INSYNC; null when nothing was changed. */
  changeId: string | null;
}

/** The DNS record of the relay address. */
export interface DnsPointer {
  /** The record, or null when it does not exist. */
  read(): Promise<DnsRecord | null>;
  /** Replace `expected` by `next` atomically; throws `DnsChangeConflict` when the record is not `expected`. */
  compareAndSwap(req: { expected: DnsRecord; next: DnsRecord; dryRun: boolean }): Promise<DnsSwapResult>;
  changeStatus(changeId: string): Promise<'PENDING' | 'INSYNC'>;
}

// ---------------------------------------------------------------------------------------------
// DnsSwitch and DnsAnswers: which server the relay name sends agents to, switched by the mode the
// topology selects (`dns.switch.mode`), and confirmed on the DNS data plane.

/** What a switch's own state says (routing controls, out-of-service marks, or the record). */
export interface DnsSwitchState {
  /** The server the switch currently selects, or null when it selects neither (or cannot tell). */
  selects: string | null;
  /** What was read, for the plan and the report (e.g. `mgmt-east On, mgmt-west Off`). */
  detail: string;
  /** The record content, for the `route53-record` mode (null in the data-plane modes). */
  record?: DnsRecord | null;
}

/** What {@link DnsSwitch.select} is asked: select `target` instead of `source`. */
export interface DnsSelectRequest {
  source: string;
  target: string;
  dryRun: boolean;
  /** Overwrite a switch that selects neither server. */
  force: boolean;
}

/** The result of {@link DnsSwitch.select}. */
export interface DnsSelectResult {
  outcome: 'changed' | 'already' | 'would-change';
  detail: string;
  /** Warnings to carry into the report (e.g. an endpoint that did not answer). */
  warnings: string[];
}

/** The switch of the relay name between the two servers. */
export interface DnsSwitch {
  readonly mode: 'route53-record' | 'arc-routing-control' | 'health-check-metric';
  /** Reads the switch's state (read-only). */
  state(): Promise<DnsSwitchState>;
  /**
   * Makes the switch select `target` instead of `source`. Reads first; already selecting the target
   * -> `already`; honours `dryRun`. Throws `DnsChangeConflict` when it selects neither (unless `force`).
   */
  select(req: DnsSelectRequest): Promise<DnsSelectResult>;
}

/** One name server's (or resolver's) answer for the relay name. */
export interface DnsAnswer {
  /** Who answered: `ns-1.awsdns-01.org (205.251.192.1)`, `resolver 169.254.169.253`. */
  from: string;
  values: string[];
  ttl: number | null;
  /** Why there is no answer (timeout, refused, NXDOMAIN). */
  error?: string;
}

/** What the DNS data plane answers for the relay name now. */
export interface DnsObservation {
  answers: DnsAnswer[];
  /** The server every answering server agrees on, or null (none answered, disagreement, unknown value). */
  pointsTo: string | null;
  /** Answer values that matched no server (for the report). */
  unknown: string[];
}

/** Resolves the relay name on the data plane: the zone's authoritative servers, then any configured resolvers. */
export interface DnsAnswers {
  resolve(): Promise<DnsObservation>;
}

/** One record set of the relay name as the DNS provider lists it (`ListResourceRecordSets`). */
export interface DnsInventoryRecord {
  /** Routing policy records only (e.g. a failover pair). */
  setIdentifier?: string;
  failover?: 'PRIMARY' | 'SECONDARY';
  healthCheckId?: string;
  /** Plain record values (empty for an alias record). */
  values: string[];
  /** An alias record's target DNS name. */
  aliasTarget?: string;
}

/** One health check as the DNS provider describes it (`GetHealthCheck`). */
export interface DnsInventoryHealthCheck {
  id: string;
  /** `RECOVERY_CONTROL`, `CLOUDWATCH_METRIC`, `HTTPS`, ... */
  type: string;
  /** RECOVERY_CONTROL: the routing control it follows. */
  routingControlArn?: string;
  /** CLOUDWATCH_METRIC: the alarm it watches. */
  alarm?: { name: string; region: string };
  /** CLOUDWATCH_METRIC: the status while the alarm has insufficient data. */
  insufficientDataHealthStatus?: string;
}

/**
 * The parts of the relay name's DNS as their control plane lists them: read-only, control-plane
 * calls (Route 53 is served from us-east-1), so used by continuous readiness, never on the recovery path.
 */
export interface DnsInventory {
  /** Every record set of the relay name and type. */
  recordSets(): Promise<DnsInventoryRecord[]>;
  /** A health check, or null when it does not exist. */
  healthCheck(id: string): Promise<DnsInventoryHealthCheck | null>;
}

// ---------------------------------------------------------------------------------------------
// Observations of the management servers.

/** One probe attempt. */
export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  /** e.g. "ECONNREFUSED", "timeout after 2000 ms", "HTTP 503". */
  detail: string;
}

/** Network probes, run from where the step runs. */
export interface Probes {
  tcpConnect(hostPort: string, timeoutMs: number): Promise<ProbeResult>;
  /** GET; `status` is set when an HTTP answer arrived (the body is read up to 64 KiB). */
  httpGet(url: string, timeoutMs: number): Promise<ProbeResult & { status?: number; body?: string }>;
}

/** State of a CloudWatch alarm; `MISSING` when no alarm has that name. */
export type AlarmStateValue = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' | 'MISSING';

/** CloudWatch alarms. */
export interface AlarmStates {
  states(alarmNames: string[]): Promise<Record<string, AlarmStateValue>>;
}

/** Route 53 health check checker observations. */
export interface HealthCheckStatuses {
  /** How many checkers currently see the endpoint healthy, out of how many reported. */
  observations(healthCheckId: string): Promise<{ healthy: number; total: number }>;
}

/** Where the expected agent clusters come from when the topology says `last-seen`. */
export interface ClusterRegistry {
  /** The clusters last seen connected to a server, recorded by the health probe. */
  lastSeen(serverCluster: string): Promise<{ clusters: string[]; at: string } | null>;
  record(serverCluster: string, clusters: string[], at: string): Promise<void>;
  /** Keeps a run's expected set (preflight), so the workflow state only carries its digest. */
  saveRunSet(key: string, clusters: string[], at: string): Promise<void>;
  /** A run's expected set as saved, or null when there is none (never saved, or expired). */
  runSet(key: string): Promise<{ clusters: string[]; at: string } | null>;
}

// ---------------------------------------------------------------------------------------------
// Re-protection: after a forced detach the datastore is rebuilt (a new global datastore from the
// survivor plus a new secondary); its identity is recorded where every step reads it.

/** The shared Redis as re-protection recorded it; absent -> the static topology. */
export interface DatastoreRecord {
  /** Rises by one on every re-protection (names new resources: ids never repeat). */
  generation: number;
  /** ElastiCache: the new global datastore id (region-dependent prefix + our suffix). */
  globalReplicationGroupId?: string;
  /** The members by region (ElastiCache: new replication group ids and endpoints). */
  members: Partial<Record<Region, { endpoint: string; replicationGroupId?: string }>>;
  recordedAt: string;
  /** The execution that recorded it. */
  recordedBy: string;
}

/** Where the current datastore record lives (an SSM parameter per region on AWS). */
export interface DatastoreRegistry {
  /** The record this region sees, or null when none was ever written (use the topology). */
  read(): Promise<DatastoreRecord | null>;
  /** Writes the record to every region's registry (all must succeed). */
  write(rec: DatastoreRecord): Promise<void>;
}

/** What to do with the survivor's old partner (the detached old primary). */
export type OldMemberChoice = 'keep' | 'delete';

/** One re-protection, from the survivor (primary now) to a new secondary in the recovered region. */
export interface ReprotectRequest {
  survivorRegion: Region;
  recoveredRegion: Region;
  /** The generation this run creates (registry generation + 1). */
  generation: number;
  oldMember: OldMemberChoice;
  dryRun: boolean;
  /** Recorded with the result. */
  executionId: string;
}

/** Where a re-protection stands; each `advance` reads the state and takes at most one action. */
export interface ReprotectStatus {
  state: 'complete' | 'in-progress' | 'would-reprotect';
  /** The phase reached: what the last read showed. */
  phase: 'create-datastore' | 'remove-old' | 'add-secondary' | 'sync' | 'record' | 'done';
  detail: string;
  /** The record to write once complete. */
  record?: DatastoreRecord;
  /** What was (or, in a dry run, would be) irreversibly removed. */
  removed?: string;
}

/** Rebuilds replication after a detach: the survivor stays primary, a fresh member follows it. */
export interface RedisReprotector {
  advance(req: ReprotectRequest): Promise<ReprotectStatus>;
}
