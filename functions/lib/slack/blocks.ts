/**
 * The approval message in Block Kit: the plan (source -> target, trigger and incident, what was
 * verified, what the step will change, dry run), who may approve, and Approve / Reject buttons that
 * carry only the approval id, each behind a confirm dialog. The same body is re-rendered once the
 * approval is decided or has timed out.
 */
import type { Button, KnownBlock } from '@slack/web-api';
import {
  type ApprovalSummary,
  GATE_LABELS,
  type OnTimeoutPolicy,
  timeoutOutcome,
} from '../approvals/model.ts';

/** The block_id of the buttons block. */
export const DECISION_BLOCK_ID = 'decision';

/** Escapes the three characters Slack mrkdwn treats as control characters. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** A bulleted list that fits one section (3,000 characters). */
function bullets(title: string, items: string[], empty: string): string {
  const head = `*${title}*\n`;
  if (items.length === 0) return `${head}_${empty}_`;
  let out = head;
  for (let i = 0; i < items.length; i++) {
    const line = `• ${escapeMrkdwn(clip(items[i] ?? '', 500))}\n`;
    const rest = `_… and ${items.length - i} more_`;
    if (out.length + line.length + rest.length > 2_900) return out + rest;
    out += line;
  }
  return out.trimEnd();
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const mention = (id: string) => `<@${id}>`;
const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

/** The execution's name (the last part of its ARN). */
export function executionName(executionId: string): string {
  return executionId.slice(executionId.lastIndexOf(':') + 1) || executionId;
}

/** What the timeout policy will do for this run, in words. */
export function timeoutPolicyText(policy: OnTimeoutPolicy, req: ApprovalSummary): string {
  if (timeoutOutcome(policy, req) === 'proceed')
    return 'the step proceeds (alarm-triggered failover, onTimeout: proceed-if-alarm)';
  return policy === 'proceed-if-alarm'
    ? 'the step is rejected (only alarm-triggered failovers proceed)'
    : 'the step is rejected and nothing is changed';
}

/** The state the message shows under the plan. */
export type MessageState =
  | {
      kind: 'pending';
      approvalId: string;
      approvers: string[];
      timeoutSeconds: number;
      onTimeout: OnTimeoutPolicy;
      /** When the approval times out (ms since the epoch). */
      deadlineMs: number;
    }
  | {
      kind: 'decided';
      decision: 'approved' | 'rejected';
      by: string;
      byName: string;
      at: string;
      /** Set when the execution had already ended: the decision was not delivered. */
      ended?: { error: string };
    }
  | { kind: 'timed-out'; outcome: 'reject' | 'proceed'; timeoutSeconds: number; at: string };

/** The one-line fallback text (notifications, screen readers). */
export function approvalText(req: ApprovalSummary, state: MessageState): string {
  const what = `${cap(req.direction)} of the Gloo management plane ${req.source.region} -> ${req.target.region}`;
  const dry = req.dryRun ? ' (dry run)' : '';
  switch (state.kind) {
    case 'pending':
      return `${what} needs approval${dry}: ${GATE_LABELS[req.gate]}`;
    case 'decided':
      return `${what}${dry}: ${state.decision} by ${state.byName || state.by} at ${state.at}${
        state.ended ? ` (too late: the execution had already ended, ${state.ended.error})` : ''
      }`;
    case 'timed-out':
      return `${what}${dry}: not answered in time; ${state.outcome === 'proceed' ? 'proceeding by policy' : 'rejected by policy'}`;
  }
}

function buttons(approvalId: string, req: ApprovalSummary): Button[] {
  const route = `${req.source.server} (${req.source.region}) → ${req.target.server} (${req.target.region})`;
  const dry = req.dryRun ? ' Dry run: nothing will be changed.' : '';
  return [
    {
      type: 'button',
      action_id: 'approve',
      text: plain(`Approve ${req.direction}`),
      style: 'primary',
      value: approvalId,
      confirm: {
        title: plain(`Approve the ${req.direction}?`),
        text: {
          type: 'mrkdwn',
          text: clip(`${route}, ${GATE_LABELS[req.gate]}: the workflow continues.${dry}`, 300),
        },
        confirm: plain('Approve'),
        deny: plain('Cancel'),
        style: 'primary',
      },
    },
    {
      type: 'button',
      action_id: 'reject',
      text: plain('Reject'),
      style: 'danger',
      value: approvalId,
      confirm: {
        title: plain(`Reject the ${req.direction}?`),
        text: { type: 'mrkdwn', text: 'The run ends here; the gated step changes nothing.' },
        confirm: plain('Reject'),
        deny: plain('Cancel'),
        style: 'danger',
      },
    },
  ];
}

function hhmm(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

function stateBlocks(req: ApprovalSummary, state: MessageState): KnownBlock[] {
  switch (state.kind) {
    case 'pending':
      return [
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: clip(
                `Who may approve: ${state.approvers.map(mention).join(', ')}. Unanswered by ${hhmm(state.deadlineMs)} (${Math.round(
                  state.timeoutSeconds / 60,
                )} min): ${timeoutPolicyText(state.onTimeout, req)}.`,
                3_000,
              ),
            },
          ],
        },
        { type: 'actions', block_id: DECISION_BLOCK_ID, elements: buttons(state.approvalId, req) },
      ];
    case 'decided': {
      const icon = state.decision === 'approved' ? ':white_check_mark:' : ':no_entry:';
      const who = `${mention(state.by)}${state.byName ? ` (${escapeMrkdwn(state.byName)})` : ''}`;
      const lines = [`${icon} *${cap(state.decision)}* by ${who} at ${state.at}`];
      if (state.ended)
        lines.push(
          `:warning: The execution had already ended (${state.ended.error}): this decision was not delivered and changed nothing.`,
        );
      else if (state.decision === 'rejected')
        lines.push('The run ends here; the gated step changed nothing.');
      return [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }];
    }
    case 'timed-out':
      return [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              state.outcome === 'proceed'
                ? `:hourglass: *Not answered within ${Math.round(state.timeoutSeconds / 60)} min* (${state.at}): the policy lets this alarm-triggered failover proceed (onTimeout: proceed-if-alarm).`
                : `:hourglass: *Not answered within ${Math.round(state.timeoutSeconds / 60)} min* (${state.at}): the policy rejected the step; nothing was changed.`,
          },
        },
      ];
  }
}

/** The whole approval message for a state: `{text, blocks}` for chat.postMessage / chat.update. */
export function approvalMessage(
  req: ApprovalSummary,
  state: MessageState,
): { text: string; blocks: KnownBlock[] } {
  const title = `${req.dryRun ? '[DRY RUN] ' : ''}${cap(req.direction)} approval: ${GATE_LABELS[req.gate]}`;
  const route = `*${escapeMrkdwn(req.source.server)}* (${req.source.region}) → *${escapeMrkdwn(req.target.server)}* (${req.target.region})`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(clip(title, 150)) },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: route },
      fields: [
        {
          type: 'mrkdwn',
          text: `*Trigger*\n${req.trigger === 'alarm' ? 'CloudWatch alarm' : 'manual start'}`,
        },
        { type: 'mrkdwn', text: `*Incident*\n${escapeMrkdwn(clip(req.incidentId, 200))}` },
        { type: 'mrkdwn', text: `*Gate*\n${req.gate}` },
        {
          type: 'mrkdwn',
          text: `*Execution*\n\`${escapeMrkdwn(clip(executionName(req.executionId), 200))}\``,
        },
      ],
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: bullets('What was verified', req.evidence, 'nothing reported') },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: bullets('What this step will change', req.changes, 'nothing reported') },
    },
  ];
  if (req.detachRedis)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:warning: *IRREVERSIBLE: force.detachRedis.* The Redis in ${req.target.region} will be *detached* from the global datastore (\`DisassociateGlobalReplicationGroup\`) instead of promoted in place. It cannot be undone or re-added: every write the old primary in ${req.source.region} has not yet replicated is *lost* (ElastiCache does not report how much), and the datastore must be re-protected (a new global datastore plus a new secondary) before any failback.`,
      },
    });
  if (req.warnings?.length)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `:warning: ${bullets('Preflight warnings', req.warnings, 'none')}` },
    });
  if (req.dryRun)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: ':test_tube: *Dry run*: nothing will be changed; each step reports what it would do.',
        },
      ],
    });
  blocks.push(...stateBlocks(req, state));
  return { text: approvalText(req, state), blocks };
}
