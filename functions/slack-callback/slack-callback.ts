/**
 * The Slack interactivity endpoint of the approval gate (a Lambda Function URL). It verifies the
 * request (v0 signature, timestamp within 5 minutes), parses the `block_actions` payload, checks the
 * approval exists, the clicking user may approve and the action was not seen before, records the
 * decision atomically, completes the waiting Step Functions task, and updates the message with who
 * decided and when. Anything refused changes nothing.
 */
import { isApprovalId, type RejectionCause } from '#lib/approvals/model.ts';
import {
  type ApprovalLog,
  type ApprovalStore,
  type CallbackResult,
  type ChatPoster,
  type ResponseUrlPayload,
  silentLog,
  type TaskCallbacks,
} from '#lib/approvals/ports.ts';
import { approvalMessage } from '#lib/slack/blocks.ts';
import { parseBlockActions } from '#lib/slack/payload.ts';
import { verifySlackRequest } from '#lib/slack/signature.ts';

/** An incoming request: headers (any case), the raw body as sent, and the time it arrived (ms). */
export interface SlackCallbackRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  now: number;
}

/** A Lambda Function URL response. */
export interface FunctionUrlResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}

/** Ports of {@link handleSlackCallback}. */
export interface SlackCallbackPorts {
  store: ApprovalStore;
  callbacks: TaskCallbacks;
  chat: Pick<ChatPoster, 'respond'>;
  log?: ApprovalLog;
  /** Resolves after `ms` of real time: bounds the Slack message update (tests inject their own). */
  deadline?: (ms: number) => Promise<void>;
}

/** Settings of {@link handleSlackCallback}. */
export interface SlackCallbackSettings {
  signingSecret: string;
  /** Slack user ids allowed to approve or reject. */
  approvers: string[];
  /**
   * Longest time from the start of the core to giving up waiting for the Slack message update
   * (default 2 s: Slack wants an answer within 3 s, and a cold start and the secret read come first).
   */
  updateBudgetMs?: number;
  /** How long an action id is remembered for replay protection (covers the ±5 min window). */
  dedupeTtlSeconds?: number;
}

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };
const reply = (statusCode: number, body = ''): FunctionUrlResponse => ({ statusCode, body, headers: TEXT });

const realDeadline = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Handles one Slack interactivity request; never throws for a bad request. */
export async function handleSlackCallback(
  req: SlackCallbackRequest,
  ports: SlackCallbackPorts,
  settings: SlackCallbackSettings,
): Promise<FunctionUrlResponse> {
  const log = ports.log ?? silentLog;
  const started = performance.now();
  const check = verifySlackRequest({
    signingSecret: settings.signingSecret,
    headers: req.headers,
    rawBody: req.rawBody,
    nowMs: req.now,
  });
  if (!check.ok) {
    log.warn('refused a Slack request', { reason: check.reason });
    return reply(401, check.reason);
  }
  const parsed = parseBlockActions(req.rawBody);
  if (!parsed.ok) return reply(400, `malformed request: ${parsed.reason}`);
  const payload = parsed.payload;
  const action = payload.actions[0]!;
  if (action.action_id !== 'approve' && action.action_id !== 'reject')
    return reply(400, `malformed request: unsupported action ${JSON.stringify(action.action_id)}`);
  if (!isApprovalId(action.value))
    return reply(400, 'malformed request: the action value is not an approval id');

  // Answers in the thread of the click, bounded so Slack hears back within 3 s.
  const budget = () => Math.max(0, (settings.updateBudgetMs ?? 2_000) - (performance.now() - started));
  const respond = (p: ResponseUrlPayload, what: string) =>
    bounded(ports.chat.respond(payload.response_url, p), budget(), ports.deadline ?? realDeadline, log, what);
  const ephemeral = (text: string) => ({
    response_type: 'ephemeral' as const,
    replace_original: false,
    text,
  });

  const approvalId = action.value;
  const record = await ports.store.get(approvalId);
  const channel = payload.channel?.id ?? payload.container?.channel_id;
  if (
    !record ||
    record.expiresAt * 1000 <= req.now ||
    (channel && record.channel && channel !== record.channel)
  ) {
    await respond(ephemeral('Unknown or expired approval: nothing was changed.'), 'unknown-approval notice');
    return reply(400, 'unknown or expired approval');
  }

  const user = payload.user;
  if (!settings.approvers.includes(user.id)) {
    log.warn('approval click by a user who may not approve', { approvalId, user: user.id });
    await respond(
      ephemeral(
        `You may not approve or reject this step. Who may: ${settings.approvers.map((a) => `<@${a}>`).join(', ')}.`,
      ),
      'not-allowed notice',
    );
    return reply(200);
  }

  const dedupeKey = `slack#${payload.trigger_id}#${action.action_ts}`;
  const expiresAt = Math.floor(req.now / 1000) + (settings.dedupeTtlSeconds ?? 900);
  if (await ports.store.seen(dedupeKey, expiresAt)) {
    log.info('ignored a replayed Slack action', { approvalId });
    return reply(200);
  }

  const decision = action.action_id === 'approve' ? 'approved' : 'rejected';
  const by = {
    by: user.id,
    byName: user.username ?? user.name ?? user.id,
    at: new Date(req.now).toISOString(),
    ...(decision === 'rejected' ? { reason: `rejected in Slack by ${user.username ?? user.id}` } : {}),
  };
  const decided = await ports.store.decide(approvalId, decision, by);
  if (!decided) {
    await respond(ephemeral('Unknown or expired approval: nothing was changed.'), 'unknown-approval notice');
    return reply(400, 'unknown or expired approval');
  }
  if (!decided.applied) {
    const r = decided.record;
    const text =
      r.status === 'expired'
        ? `This approval timed out at ${r.decidedAt}; the timeout policy decided. Your click changed nothing.`
        : `Already ${r.status} by <@${r.decidedBy}> at ${r.decidedAt}. Your click changed nothing.`;
    await respond(ephemeral(text), 'already-decided notice');
    return reply(200);
  }

  let result: CallbackResult;
  try {
    result =
      decision === 'approved'
        ? await ports.callbacks.sendSuccess(record.taskToken, {
            decision: 'approved',
            by: by.by,
            byName: by.byName,
            at: by.at,
          })
        : await ports.callbacks.sendFailure(
            record.taskToken,
            'ApprovalRejected',
            JSON.stringify({ by: by.by, at: by.at, reason: by.reason ?? '' } satisfies RejectionCause),
          );
  } catch (e) {
    // Not delivered and not final: undo, so a person can click again.
    const reopened = await ports.store.reopen(approvalId, by.by).catch(() => false);
    log.error('could not deliver the approval decision to Step Functions', {
      approvalId,
      error: (e as Error).name,
      message: String((e as Error).message).replaceAll(record.taskToken, '<task token>'),
      reopened,
    });
    await respond(
      ephemeral(
        `Could not deliver your decision to Step Functions (${(e as Error).name}): nothing changed. Please try again.`,
      ),
      'delivery-failure notice',
    );
    return reply(200);
  }

  const ended = result.outcome === 'execution-ended' ? { error: result.error } : undefined;
  log.info('approval decided', { approvalId, decision, by: by.by, delivered: !ended, ended: ended?.error });
  const msg = approvalMessage(record.request, {
    kind: 'decided',
    decision,
    ...by,
    ...(ended ? { ended } : {}),
  });
  await respond({ replace_original: true, text: msg.text, blocks: msg.blocks }, 'message update');
  return reply(200);
}

/** Waits for `work` at most `ms`; failures and lateness are logged, never thrown. */
async function bounded(
  work: Promise<void>,
  ms: number,
  deadline: (ms: number) => Promise<void>,
  log: ApprovalLog,
  what: string,
): Promise<void> {
  const done = work.then(
    () => 'done' as const,
    (e: Error) => {
      log.warn(`Slack ${what} failed`, { error: e.message });
      return 'failed' as const;
    },
  );
  const r = await Promise.race([done, deadline(ms).then(() => 'late' as const)]);
  if (r === 'late') log.warn(`Slack ${what} still running after ${Math.round(ms)} ms; answered Slack first`);
}
