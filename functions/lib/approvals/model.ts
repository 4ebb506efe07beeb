/**
 * The approval gate's data: the payload the workflow's `waitForTaskToken` Task sends, the output an
 * approval produces, approval ids, and the timeout policy. Shared by request-approval, the Slack
 * callback and the local sandbox.
 */
import { randomBytes } from 'node:crypto';
import { EndpointRef, IncidentId } from '../state.ts';
import { GATES } from '../topology.ts';
import * as z from '../z.ts';

/** The gates of the topology plus the reprotect workflow's own (deleting the old Redis). */
export const APPROVAL_GATES = [...GATES, 'before-old-redis-delete'] as const;
/** The workflows that ask for approval. */
export const APPROVAL_DIRECTIONS = ['failover', 'failback', 'reprotect'] as const;

/** Crockford base32 (no I, L, O, U). */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `apr_` + 26 Crockford base32 characters (130 random bits). */
export const APPROVAL_ID_PATTERN = /^apr_[0-9A-HJKMNP-TV-Z]{26}$/;

/** A new random approval id, e.g. `apr_01JD0Z8K3M4N5P6Q7R8S9T0V1W`. */
export function newApprovalId(): string {
  let id = 'apr_';
  // 256 is a multiple of 32, so `b & 31` is uniform.
  for (const b of randomBytes(26)) id += CROCKFORD[b & 31];
  return id;
}

/** True when `s` has the shape of an approval id. */
export function isApprovalId(s: unknown): s is string {
  return typeof s === 'string' && APPROVAL_ID_PATTERN.test(s);
}

const endpoint = EndpointRef;

/** The evidence line of a gate reached without a verification in this execution. */
export const NO_VERIFICATION_EVIDENCE =
  'no verification in this execution: an earlier run already promoted Redis to the target (re-run after the point of no return)';

/**
 * The workflow sends the whole verification slot (`verify.$: $.verify`, null on the re-run path),
 * never a path into it: a JSONPath into a null slot is a States.Runtime error that no Catch can
 * handle. This turns it into the evidence lines.
 */
function evidenceFromVerify(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || !('verify' in raw)) return raw;
  const { verify, ...rest } = raw as { verify: unknown } & Record<string, unknown>;
  const lines = (verify as { evidence?: unknown } | null)?.evidence;
  return { ...rest, evidence: verify == null ? [NO_VERIFICATION_EVIDENCE] : lines };
}

/** What the workflow's approval Task sends (`Payload` of `lambda:invoke.waitForTaskToken`). */
export const ApprovalRequestSchema = z.pipe(
  z.transform(evidenceFromVerify),
  z.object({
    /** `$$.Task.Token`: stored server-side only, never sent to Slack. */
    taskToken: z.string().check(z.minLength(1), z.maxLength(2048)),
    gate: z.enum(APPROVAL_GATES),
    /** `$$.Execution.Id` (the execution ARN). */
    executionId: z.string().check(z.minLength(1), z.maxLength(2048)),
    direction: z.enum(APPROVAL_DIRECTIONS),
    trigger: z.enum(['alarm', 'manual']),
    incidentId: IncidentId,
    source: endpoint,
    target: endpoint,
    /** What was verified before asking (one line each). */
    evidence: z._default(z.array(z.string().check(z.maxLength(2000))).check(z.maxLength(100)), []),
    /** What the gated step will change (one line each). */
    changes: z._default(z.array(z.string().check(z.maxLength(2000))).check(z.maxLength(100)), []),
    dryRun: z.boolean(),
    /** Preflight's warnings (e.g. the Route 53 control-plane dependency of a route53-record switch). */
    warnings: z._default(z.array(z.string().check(z.maxLength(2000))).check(z.maxLength(100)), []),
    /** The run was started with `force.detachRedis` (irreversible): the message says so. */
    detachRedis: z._default(z.boolean(), false),
  }),
);

/** A validated approval request. */
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;
/** The request as stored with the approval and shown in Slack: everything but the task token. */
export type ApprovalSummary = Omit<ApprovalRequest, 'taskToken'>;
/** The approvals timeout policy of the topology. */
export type OnTimeoutPolicy = 'reject' | 'proceed-if-alarm';

/** The approval Task's output (`SendTaskSuccess` output) when the step is approved. */
export interface ApprovalOutput {
  decision: 'approved';
  /** Slack user id of the approver, or `timeout-policy` when the policy proceeded. */
  by: string;
  byName: string;
  /** ISO-8601. */
  at: string;
  /** Set when the timeout policy, not a person, let the step proceed. */
  policy?: OnTimeoutPolicy;
}

/** The `Cause` (JSON) of the `ApprovalRejected` task failure. */
export interface RejectionCause {
  by: string;
  at: string;
  reason: string;
}

/** What an unanswered approval means for this run: alarm-triggered failovers may proceed. */
export function timeoutOutcome(
  policy: OnTimeoutPolicy,
  run: { trigger: 'alarm' | 'manual'; direction: (typeof APPROVAL_DIRECTIONS)[number] },
): 'reject' | 'proceed' {
  return policy === 'proceed-if-alarm' && run.trigger === 'alarm' && run.direction === 'failover'
    ? 'proceed'
    : 'reject';
}

/** Human labels of the gates. */
export const GATE_LABELS: Record<(typeof APPROVAL_GATES)[number], string> = {
  'before-old-redis-delete': 'before deleting the old Redis (irreversible)',
  'before-promotion': 'before promoting the target Redis',
  'before-dns': 'before repointing the relay DNS record',
  'before-failback': 'before failing back',
};
