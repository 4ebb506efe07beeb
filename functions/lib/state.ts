/**
 * The shapes that flow through the workflow: the execution input, the run description the workflow
 * adds, and each step's output. Handlers parse their input with these schemas, so a bad payload
 * fails with the field named and changes nothing.
 */

import { ExpectedClusters } from './expected-set.ts';
import { AWS_REGIONS } from './topology.ts';
import * as z from './z.ts';

/** A management cluster name (DNS-1123 label, as Gloo's `common.cluster`). */
export const ClusterName = z
  .string()
  .check(z.regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a DNS-1123 label'));
/** An incident id: groups the alarms and runs of one outage; also an execution name stem. */
export const IncidentId = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 letters, digits, "_", ".", ":" or "-"'));

/** Our id of a management server (topology `servers[].id`). */
export const ServerId = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/,
      'expected a server id (1-40 characters, a DNS-1123 label)',
    ),
  );

/** One side of a run: a server of the topology, by id, and its region. */
export const EndpointRef = z.strictObject({ server: ServerId, region: z.enum(AWS_REGIONS) });
export type EndpointRef = z.infer<typeof EndpointRef>;

/** What a person or the trigger passes to StartExecution. */
export const ExecutionInput = z.strictObject({
  trigger: z.enum(['alarm', 'manual']),
  /** Groups alarms and runs of one outage; also the execution name stem. */
  incidentId: IncidentId,
  dryRun: z._default(z.boolean(), false),
  /** Who started it (person or alarm name), for the audit trail. */
  requestedBy: z._default(z.string().check(z.minLength(1), z.maxLength(128)), 'unknown'),
  alarmName: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  force: z.prefault(
    z.strictObject({
      /** Take the lock even when it is held by a cluster other than the source. */
      lock: z._default(z.boolean(), false),
      /** Skip the outage/recovery quorum (an operator has verified it by other means). */
      skipVerification: z._default(z.boolean(), false),
      /** Overwrite a DNS record that points at neither server. */
      dns: z._default(z.boolean(), false),
      /**
       * IRREVERSIBLE. After a failed promotion: detach the target's Redis from the global datastore
       * (`DisassociateGlobalReplicationGroup`) instead of promoting it in place. Writes not yet
       * replicated are lost and the datastore must be re-protected before any failback.
       */
      detachRedis: z._default(z.boolean(), false),
    }),
    {},
  ),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

/** The run as the workflow describes it: the execution input plus the direction baked into the state machine. */
export const Run = z.strictObject({
  direction: z.enum(['failover', 'failback']),
  source: EndpointRef,
  target: EndpointRef,
  executionId: z._default(z.string().check(z.maxLength(2048)), 'local'),
  startedAt: z.optional(z.string()),
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
  detachRedis: z._default(z.boolean(), false),
  alreadyActive: z.boolean(),
  /** The target's Redis is already primary: verification and approval are behind us (a re-run). */
  redisPromoted: z.boolean(),
  before: z.object({
    lock: z.nullable(z.object({ holder: z.nullable(z.string()), epoch: z.number(), readFrom: z.string() })),
    redisPrimary: z.nullable(z.string()),
    redisGroupStatus: z.optional(z.string()),
    dns: z.nullable(z.object({ ttl: z.number(), values: z.array(z.string()) })),
    dnsPointsTo: z.nullable(z.string()),
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
  skipped: z._default(z.boolean(), false),
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
  polls: z._default(z.number().check(z.int()), 0),
  possibleDataLoss: z.optional(z.object({ lagBytes: z.nullable(z.number()), detail: z.string() })),
});
export type Promotion = z.infer<typeof Promotion>;

/** What the lock adapter's command did (`meshctl`): argv, exit code, redacted output. */
export const CommandOutcome = z.object({
  argv: z.array(z.string()),
  exitCode: z.nullable(z.number().check(z.int())),
  signal: z.nullable(z.string()),
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
  adapter: z._default(z.enum(['redis-key', 'meshctl']), 'redis-key'),
  outcome: z.enum(['switched', 'already-held', 'would-switch']),
  /** `meshctl`: the command that ran (or would run, in a dry run). */
  command: z.optional(CommandOutcome),
  previousHolder: z.nullable(z.string()),
  previousEpoch: z.number(),
  holder: z.string(),
  epoch: z.number(),
  /**
   * What became of the source's own Redis: `lock-written` (it answered and was writable: the lock
   * there now names the target, so the old server turns passive), `replica` (read-only: it follows
   * the new primary), `unreachable` (fence it when it returns: re-run the workflow), `skipped` (dry run).
   */
  sourceFence: z._default(z.enum(['lock-written', 'replica', 'unreachable', 'skipped']), 'skipped'),
  sourceFenceDetail: z._default(z.string(), ''),
});
export type LockResult = z.infer<typeof LockResult>;

/** DNS change progress (polled). */
export const DnsResult = z.object({
  ...Timing,
  outcome: z.enum(['changed', 'already', 'would-change']),
  changeId: z.nullable(z.string()),
  status: z.enum(['PENDING', 'INSYNC']),
  before: z.array(z.string()),
  after: z.array(z.string()),
  polls: z._default(z.number().check(z.int()), 0),
  /** The switch mode (`dns.switch.mode`) and what it did. */
  mode: z._default(
    z.enum(['route53-record', 'arc-routing-control', 'health-check-metric']),
    'route53-record',
  ),
  detail: z._default(z.string(), ''),
  /** INSYNC here means: every answering name server (and resolver) answers the target. */
  confirmedBy: z._default(z.array(z.string()), []),
  warnings: z._default(z.array(z.string()), []),
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
  unknown: z._default(z.number().check(z.int()), 0),
  /** The target's replicas that did not answer this poll (pod, address or Prometheus instance). */
  missingReplicas: z._default(z.array(z.string()), []),
  polls: z.number().check(z.int()),
  maxPolls: z.number().check(z.int()),
  detail: z.string(),
});
export type Reconnect = z.infer<typeof Reconnect>;

/** An error caught by the workflow (`Catch` with ResultPath). */
export const CaughtError = z.object({ Error: z.string(), Cause: z.optional(z.string()) });

/**
 * The run as the report reads it: the input may be the raw, invalid execution input (the report
 * still describes an `InvalidInput` run), so only its shape is checked, not its values.
 */
export const ReportedRun = z.extend(Run, {
  input: z.looseObject({
    trigger: z.optional(z.unknown()),
    incidentId: z.optional(z.unknown()),
    dryRun: z.optional(z.unknown()),
  }),
});
export type ReportedRun = z.infer<typeof ReportedRun>;
