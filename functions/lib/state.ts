/**
 * The shapes that flow through the workflow: the execution input, the run description the workflow
 * adds, and each step's output. Handlers parse their input with these schemas, so a bad payload
 * fails with the field named and changes nothing.
 */
import * as z from 'zod';
import { ExpectedClusters } from './expected-set.ts';
import { AWS_REGIONS } from './topology.ts';

/** A management cluster name (DNS-1123 label, as Gloo's `common.cluster`). */
export const ClusterName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a DNS-1123 label');
/** An incident id: groups the alarms and runs of one outage; also an execution name stem. */
export const IncidentId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 letters, digits, "_", ".", ":" or "-"');

/** Our id of a management server (topology `servers[].id`). */
export const ServerId = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, 'expected a server id (1-40 characters, a DNS-1123 label)');

/** One side of a run: a server of the topology, by id, and its region. */
export const EndpointRef = z.strictObject({ server: ServerId, region: z.enum(AWS_REGIONS) });
export type EndpointRef = z.infer<typeof EndpointRef>;

/** What a person or the trigger passes to StartExecution. */
export const ExecutionInput = z.strictObject({
  trigger: z.enum(['alarm', 'manual']),
  /** Groups alarms and runs of one outage; also the execution name stem. */
  incidentId: IncidentId,
  dryRun: z.boolean().default(false),
  /** Who started it (person or alarm name), for the audit trail. */
  requestedBy: z.string().min(1).max(128).default('unknown'),
  alarmName: z.string().min(1).max(255).optional(),
  force: z
    .strictObject({
      /** Take the lock even when it is held by a cluster other than the source. */
      lock: z.boolean().default(false),
      /** Skip the outage/recovery quorum (an operator has verified it by other means). */
      skipVerification: z.boolean().default(false),
      /** Overwrite a DNS record that points at neither server. */
      dns: z.boolean().default(false),
      /**
       * IRREVERSIBLE. After a failed promotion: detach the target's Redis from the global datastore
       * (`DisassociateGlobalReplicationGroup`) instead of promoting it in place. Writes not yet
       * replicated are lost and the datastore must be re-protected before any failback.
       */
      detachRedis: z.boolean().default(false),
    })
    .prefault({}),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

/** The run as the workflow describes it: the execution input plus the direction baked into the state machine. */
export const Run = z.strictObject({
  direction: z.enum(['failover', 'failback']),
  source: EndpointRef,
  target: EndpointRef,
  executionId: z.string().max(2048).default('local'),
  startedAt: z.string().optional(),
  input: ExecutionInput,
});
export type Run = z.infer<typeof Run>;

const Timing = { startedAt: z.string(), endedAt: z.string() };

/** What preflight read and decided. */
export const Plan = z.object({
  ...Timing,
  /** The execution input after defaults, so Choice states can read flags that were omitted. */
  dryRun: z.boolean(),
  trigger: z.enum(['alarm', 'manual']),
  /** `force.detachRedis` after defaults (the approval message must say the action is irreversible). */
  detachRedis: z.boolean().default(false),
  alreadyActive: z.boolean(),
  /** The target's Redis is already primary: verification and approval are behind us (a re-run). */
  redisPromoted: z.boolean(),
  before: z.object({
    lock: z.object({ holder: z.string().nullable(), epoch: z.number(), readFrom: z.string() }).nullable(),
    redisPrimary: z.string().nullable(),
    redisGroupStatus: z.string().optional(),
    dns: z.object({ ttl: z.number(), values: z.array(z.string()) }).nullable(),
    dnsPointsTo: z.string().nullable(),
  }),
  /** Count, digest and sample; the list stays out of the state (see expected-set.ts). */
  expectedClusters: ExpectedClusters,
  expectedClustersSource: z.string(),
  targetReadiness: z.array(z.string()),
  warnings: z.array(z.string()),
});
export type Plan = z.infer<typeof Plan>;

/** One signal's verdict in verify-outage / verify-recovered. */
export const Signal = z.object({
  kind: z.enum(['relay', 'health', 'alarm', 'route53-health-check']),
  verdict: z.enum(['down', 'up', 'mixed', 'abstain']),
  detail: z.string(),
});
export type Signal = z.infer<typeof Signal>;

/** The verification result. */
export const Verification = z.object({
  ...Timing,
  confirmed: z.boolean(),
  skipped: z.boolean().default(false),
  want: z.enum(['down', 'up']),
  votes: z.number(),
  against: z.number(),
  quorum: z.number(),
  signals: z.array(Signal),
  evidence: z.array(z.string()),
});
export type Verification = z.infer<typeof Verification>;

/** Redis promotion progress (polled). */
export const Promotion = z.object({
  ...Timing,
  state: z.enum(['complete', 'in-progress', 'noop', 'would-promote']),
  mode: z.enum(['planned', 'unplanned', 'none']),
  detail: z.string(),
  polls: z.number().int().default(0),
  possibleDataLoss: z.object({ lagBytes: z.number().nullable(), detail: z.string() }).optional(),
});
export type Promotion = z.infer<typeof Promotion>;

/** What the lock adapter's command did (`meshctl`): argv, exit code, redacted output. */
export const CommandOutcome = z.object({
  argv: z.array(z.string()),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number(),
});
export type CommandOutcome = z.infer<typeof CommandOutcome>;

/** Lock switch result. */
export const LockResult = z.object({
  ...Timing,
  /** Which lock adapter switched (topology `lock.adapter`). */
  adapter: z.enum(['redis-key', 'meshctl']).default('redis-key'),
  outcome: z.enum(['switched', 'already-held', 'would-switch']),
  /** `meshctl`: the command that ran (or would run, in a dry run). */
  command: CommandOutcome.optional(),
  previousHolder: z.string().nullable(),
  previousEpoch: z.number(),
  holder: z.string(),
  epoch: z.number(),
  /**
   * What became of the source's own Redis: `lock-written` (it answered and was writable: the lock
   * there now names the target, so the old server turns passive), `replica` (read-only: it follows
   * the new primary), `unreachable` (fence it when it returns: re-run the workflow), `skipped` (dry run).
   */
  sourceFence: z.enum(['lock-written', 'replica', 'unreachable', 'skipped']).default('skipped'),
  sourceFenceDetail: z.string().default(''),
});
export type LockResult = z.infer<typeof LockResult>;

/** DNS change progress (polled). */
export const DnsResult = z.object({
  ...Timing,
  outcome: z.enum(['changed', 'already', 'would-change']),
  changeId: z.string().nullable(),
  status: z.enum(['PENDING', 'INSYNC']),
  before: z.array(z.string()),
  after: z.array(z.string()),
  polls: z.number().int().default(0),
  /** The switch mode (`dns.switch.mode`) and what it did. */
  mode: z.enum(['route53-record', 'arc-routing-control', 'health-check-metric']).default('route53-record'),
  detail: z.string().default(''),
  /** INSYNC here means: every answering name server (and resolver) answers the target. */
  confirmedBy: z.array(z.string()).default([]),
  warnings: z.array(z.string()).default([]),
});
export type DnsResult = z.infer<typeof DnsResult>;

/** Reconnection progress (polled). */
export const Reconnect = z.object({
  ...Timing,
  done: z.boolean(),
  final: z.boolean(),
  expected: z.number(),
  connected: z.number(),
  fraction: z.number(),
  missing: z.array(z.object({ cluster: z.string(), reason: z.string() })),
  /** Expected clusters whose state is unknown because a replica of the target did not answer. */
  unknown: z.number().int().default(0),
  /** The target's replicas that did not answer this poll (pod, address or Prometheus instance). */
  missingReplicas: z.array(z.string()).default([]),
  polls: z.number().int(),
  maxPolls: z.number().int(),
  detail: z.string(),
});
export type Reconnect = z.infer<typeof Reconnect>;

/** An error caught by the workflow (`Catch` with ResultPath). */
export const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() });

/**
 * The run as the report reads it: the input may be the raw, invalid execution input (the report
 * still describes an `InvalidInput` run), so only its shape is checked, not its values.
 */
export const ReportedRun = Run.extend({
  input: z.looseObject({
    trigger: z.unknown().optional(),
    incidentId: z.unknown().optional(),
    dryRun: z.unknown().optional(),
  }),
});
export type ReportedRun = z.infer<typeof ReportedRun>;
