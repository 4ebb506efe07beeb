/**
 * The approval gate. `requestApproval` keeps the task token server-side under a short random
 * approval id and posts the plan to Slack with Approve / Reject buttons carrying only that id;
 * `timeoutApproval` runs when the approval Task times out and applies the approvals policy.
 */

import {
  APPROVAL_DIRECTIONS,
  APPROVAL_GATES,
  APPROVAL_ID_PATTERN,
  type ApprovalOutput,
  type ApprovalRequest,
  newApprovalId,
  type OnTimeoutPolicy,
  timeoutOutcome,
} from '#lib/approvals/model.ts';
import type { ApprovalLog, ApprovalRecord, ApprovalStore, ChatPoster } from '#lib/approvals/ports.ts';
import { type Clock, iso } from '#lib/clock.ts';
import { ApprovalTimedOut, InvalidTopology } from '#lib/errors.ts';
import { approvalMessage } from '#lib/slack/blocks.ts';
import type { Topology } from '#lib/topology.ts';
import * as z from '#lib/z.ts';

/** How long a token record outlives the approval timeout (late clicks then say "execution ended"). */
export const DEFAULT_TTL_MARGIN_SECONDS = 3_600;

/** What request-approval and timeout-approval need to know from the topology. */
export interface ApprovalSettings {
  channel: string;
  approvers: string[];
  timeoutSeconds: number;
  onTimeout: OnTimeoutPolicy;
  /** Added to `timeoutSeconds` for the record's TTL. */
  ttlMarginSeconds?: number;
}

/** The approvals settings of a topology; throws when it has no Slack section. */
export function approvalSettingsFromTopology(t: Topology): ApprovalSettings {
  const slack = t.approvals.slack;
  if (!slack) throw new InvalidTopology('approvals.slack is not configured: no Slack approvals possible');
  return {
    channel: slack.channel,
    approvers: slack.approvers,
    timeoutSeconds: t.approvals.timeoutSeconds,
    onTimeout: t.approvals.onTimeout,
  };
}

/** Ports of {@link requestApproval}. */
export interface RequestApprovalPorts {
  store: ApprovalStore;
  chat: ChatPoster;
  clock: Clock;
  /** Approval id generator (tests pin it). */
  newId?: () => string;
}

/** What {@link requestApproval} returns (the workflow ignores it: the task waits for its token). */
export interface RequestApprovalResult {
  approvalId: string;
  channel: string;
  messageTs: string;
  /** Epoch seconds at which the record expires. */
  expiresAt: number;
}

/** Stores the task token and posts the approval message. */
export async function requestApproval(
  input: ApprovalRequest,
  ports: RequestApprovalPorts,
  settings: ApprovalSettings,
): Promise<RequestApprovalResult> {
  const { taskToken, ...summary } = input;
  const approvalId = (ports.newId ?? newApprovalId)();
  const nowMs = ports.clock.now();
  const expiresAt =
    Math.ceil(nowMs / 1000) +
    settings.timeoutSeconds +
    (settings.ttlMarginSeconds ?? DEFAULT_TTL_MARGIN_SECONDS);
  const record: ApprovalRecord = {
    approvalId,
    taskToken,
    executionId: input.executionId,
    gate: input.gate,
    channel: settings.channel,
    messageTs: '',
    expiresAt,
    createdAt: iso(ports.clock),
    status: 'pending',
    request: summary,
  };
  // Stored before posting, so a click that comes at once finds it.
  await ports.store.put(record);
  const msg = approvalMessage(summary, {
    kind: 'pending',
    approvalId,
    approvers: settings.approvers,
    timeoutSeconds: settings.timeoutSeconds,
    onTimeout: settings.onTimeout,
    deadlineMs: nowMs + settings.timeoutSeconds * 1000,
  });
  const posted = await ports.chat.post(settings.channel, msg.text, msg.blocks);
  await ports.store.attachMessage(approvalId, posted.channel, posted.ts);
  return { approvalId, channel: posted.channel, messageTs: posted.ts, expiresAt };
}

/**
 * Input of {@link timeoutApproval}: what the workflow knows when the approval Task timed out. The
 * workflow sends it to the same function as the request, with `action: 'timeout'`.
 */
export const ApprovalTimeoutInputSchema = z.object({
  action: z.literal('timeout'),
  executionId: z.string().check(z.minLength(1), z.maxLength(2048)),
  gate: z.enum(APPROVAL_GATES),
  trigger: z.enum(['alarm', 'manual']),
  /** Default: the direction of the stored request (else `failover`). */
  direction: z.optional(z.enum(APPROVAL_DIRECTIONS)),
  /** The policy the workflow was built with; default: the topology's. */
  onTimeout: z.optional(z.enum(['reject', 'proceed-if-alarm'])),
  /** When known; otherwise the latest approval of the execution's gate is used. */
  approvalId: z.optional(
    z
      .string()
      .check(z.regex(APPROVAL_ID_PATTERN, 'expected an approval id (apr_ + 26 Crockford base32 characters)')),
  ),
});

/** A validated {@link ApprovalTimeoutInputSchema}. */
export type ApprovalTimeoutInput = z.infer<typeof ApprovalTimeoutInputSchema>;

/** Ports of {@link timeoutApproval}. */
export interface TimeoutApprovalPorts {
  store: ApprovalStore;
  chat: ChatPoster;
  clock: Clock;
  log?: ApprovalLog;
}

/**
 * Applies the timeout policy: marks the approval expired, updates the Slack message with what the
 * policy decided, then returns an approval output (proceed: alarm-triggered failover with
 * `onTimeout: proceed-if-alarm`) or throws `ApprovalTimedOut` (reject). Idempotent.
 */
export async function timeoutApproval(
  input: ApprovalTimeoutInput,
  ports: TimeoutApprovalPorts,
  settings: Pick<ApprovalSettings, 'onTimeout' | 'timeoutSeconds'>,
): Promise<ApprovalOutput> {
  const at = iso(ports.clock);
  const record = input.approvalId
    ? await ports.store.get(input.approvalId)
    : await ports.store.findByGate(input.executionId, input.gate);
  const policy = input.onTimeout ?? settings.onTimeout;
  const direction = input.direction ?? record?.request.direction ?? 'failover';
  const outcome = timeoutOutcome(policy, { trigger: input.trigger, direction });
  let messageUpdated = false;
  if (record) {
    const r = await ports.store.decide(record.approvalId, 'expired', {
      by: 'timeout-policy',
      byName: `onTimeout: ${policy}`,
      at,
      reason: `not answered within ${settings.timeoutSeconds} s`,
    });
    if (r && !r.applied && r.record.status !== 'expired')
      ports.log?.warn('approval decided after its task had timed out; the timeout policy applies', {
        approvalId: record.approvalId,
        status: r.record.status,
      });
    if (record.messageTs) {
      const msg = approvalMessage(record.request, {
        kind: 'timed-out',
        outcome,
        timeoutSeconds: settings.timeoutSeconds,
        at,
      });
      try {
        await ports.chat.update(record.channel, record.messageTs, msg.text, msg.blocks);
        messageUpdated = true;
      } catch (e) {
        // The policy matters more than the message: report, do not fail the step.
        ports.log?.warn('could not update the approval message after the timeout', {
          approvalId: record.approvalId,
          error: (e as Error).message,
        });
      }
    }
  } else ports.log?.warn('no approval record found for the timed-out gate', { ...input });
  const details = {
    approvalId: record?.approvalId ?? null,
    gate: input.gate,
    policy,
    timeoutSeconds: settings.timeoutSeconds,
    messageUpdated,
  };
  if (outcome === 'reject')
    throw new ApprovalTimedOut(
      `approval not answered within ${settings.timeoutSeconds} s; policy onTimeout=${policy} rejects it`,
      details,
    );
  return {
    decision: 'approved',
    by: 'timeout-policy',
    byName: `onTimeout: ${policy}`,
    at,
    policy,
  };
}
