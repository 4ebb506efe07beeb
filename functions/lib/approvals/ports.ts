/**
 * Ports of the Slack approval gate: where task tokens are kept (ApprovalStore), how a decision
 * reaches Step Functions (TaskCallbacks) and how messages reach Slack (ChatPoster).
 */
import type { KnownBlock } from '@slack/web-api';
import type { APPROVAL_GATES, ApprovalOutput, ApprovalSummary } from './model.ts';

/** Where an approval stands. Only `pending` may change, and only once. */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';
/** A final status. */
export type Decision = Exclude<ApprovalStatus, 'pending'>;

/** One approval: the task token kept server-side, keyed by a short random approval id. */
export interface ApprovalRecord {
  approvalId: string;
  /** The Step Functions task token. Never leaves the store except towards Step Functions. */
  taskToken: string;
  executionId: string;
  gate: (typeof APPROVAL_GATES)[number];
  /** Slack channel id the message went to. */
  channel: string;
  /** Slack message ts; '' until the message is posted. */
  messageTs: string;
  /** Epoch seconds; the DynamoDB TTL attribute. */
  expiresAt: number;
  /** ISO-8601. */
  createdAt: string;
  status: ApprovalStatus;
  decidedBy?: string;
  decidedByName?: string;
  decidedAt?: string;
  reason?: string;
  /** What the message shows, so it can be re-rendered once decided. */
  request: ApprovalSummary;
}

/** Who decided, when, and why. */
export interface DecisionBy {
  by: string;
  byName: string;
  /** ISO-8601. */
  at: string;
  reason?: string;
}

/** The result of {@link ApprovalStore.decide}: `applied` is false when it was decided before. */
export interface DecideResult {
  applied: boolean;
  /** The record after the call (the earlier decision when not applied). */
  record: ApprovalRecord;
}

/** The token table. */
export interface ApprovalStore {
  /** Stores a new approval (refuses to overwrite an existing id). */
  put(record: ApprovalRecord): Promise<void>;
  /** Records the Slack message once posted. */
  attachMessage(approvalId: string, channel: string, messageTs: string): Promise<void>;
  get(approvalId: string): Promise<ApprovalRecord | null>;
  /** The latest approval of an execution's gate (for the timeout path, which knows no approval id). */
  findByGate(executionId: string, gate: ApprovalRecord['gate']): Promise<ApprovalRecord | null>;
  /**
   * Atomic conditional transition from `pending`. A second call changes nothing and returns the
   * existing decision with `applied: false`. Null when the approval does not exist.
   */
  decide(approvalId: string, decision: Decision, by: DecisionBy): Promise<DecideResult | null>;
  /**
   * Undoes a decision that could not be delivered to Step Functions (a transient failure), so a
   * person can click again. Only the same decider's decision is reopened. True when reopened.
   */
  reopen(approvalId: string, decidedBy: string): Promise<boolean>;
  /**
   * Replay protection: atomically records `dedupeKey` (kept until `expiresAt`, epoch seconds) and
   * returns false, or returns true when it was already recorded.
   */
  seen(dedupeKey: string, expiresAt: number): Promise<boolean>;
}

/** Step Functions errors meaning the waiting task (or its execution) has already ended. */
export const EXECUTION_ENDED_ERRORS = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'] as const;

/** What happened to a decision sent to Step Functions. */
export type CallbackResult =
  | { outcome: 'delivered' }
  | { outcome: 'execution-ended'; error: (typeof EXECUTION_ENDED_ERRORS)[number]; message: string };

/** Completes a waiting `waitForTaskToken` task. Other errors than "already ended" are thrown. */
export interface TaskCallbacks {
  sendSuccess(taskToken: string, output: ApprovalOutput): Promise<CallbackResult>;
  sendFailure(taskToken: string, error: string, cause: string): Promise<CallbackResult>;
}

/** A message sent to an interaction's `response_url`. */
export interface ResponseUrlPayload {
  text: string;
  blocks?: KnownBlock[];
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  delete_original?: boolean;
}

/** Slack messaging. */
export interface ChatPoster {
  /** chat.postMessage. */
  post(channel: string, text: string, blocks: KnownBlock[]): Promise<{ ts: string; channel: string }>;
  /** chat.update. */
  update(channel: string, ts: string, text: string, blocks: KnownBlock[]): Promise<void>;
  /** POST to an interaction's response_url. */
  respond(responseUrl: string, payload: ResponseUrlPayload): Promise<void>;
}

/** Minimal structured log sink (a Powertools Logger fits). */
export interface ApprovalLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** A log that drops everything. */
export const silentLog: ApprovalLog = { info() {}, warn() {}, error() {} };
