/** Shared material of the approval tests: the fixture, a sample request, recording ports, signing. */
import { readFileSync } from 'node:fs';
import type { KnownBlock } from '@slack/web-api';
import type { ApprovalOutput, ApprovalRequest } from '#lib/approvals/model.ts';
import type {
  ApprovalRecord,
  CallbackResult,
  ChatPoster,
  ResponseUrlPayload,
  TaskCallbacks,
} from '#lib/approvals/ports.ts';
import { encodeInteractionBody } from '#lib/slack/payload.ts';
import { slackSignature } from '#lib/slack/signature.ts';
import { loadTopology, type Topology } from '#lib/topology.ts';

/** The approval id the fixture's button carries. */
export const FIXTURE_APPROVAL_ID = 'apr_01JD0Z8K3M4N5P6Q7R8S9T0V1W';
/** A task token shaped like Step Functions'. */
export const TASK_TOKEN = `AQCEAAAAKgAAAAMAAAAAAAAAAS3xk${'Zm9vYmFyYmF6'.repeat(20)}`;
export const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
/** The fixture's click time (action_ts 1763608461.123456). */
export const FIXTURE_NOW_MS = 1_763_608_461_500;
export const TOPOLOGY_FILE = new URL('../../infra/topology.example.json', import.meta.url).pathname;

/** The example topology (approvers U0A1B2C3D and U0B2C3D4E, channel C0OPSFAIL1). */
export function exampleTopology(): Topology {
  return loadTopology(TOPOLOGY_FILE);
}

/** The `payload` JSON of the shared fixture (a copy lives in test/approvals/fixtures). */
export function fixturePayload(): Record<string, unknown> & {
  user: { id: string; username?: string };
  actions: Record<string, unknown>[];
} {
  return JSON.parse(
    readFileSync(new URL('./fixtures/slack-block-actions-payload.json', import.meta.url), 'utf8'),
  );
}

/** A block_actions payload as the fixture, with changes. */
export function clickPayload(
  o: { userId?: string; actionId?: string; value?: string; triggerId?: string } = {},
) {
  const p = fixturePayload();
  if (o.userId) p.user = { ...p.user, id: o.userId, username: `name-${o.userId}` };
  const action = p.actions[0]!;
  if (o.actionId) action.action_id = o.actionId;
  if (o.value !== undefined) action.value = o.value;
  if (o.triggerId) p.trigger_id = o.triggerId;
  return p;
}

/** A form body signed like Slack: headers and raw body. */
export function signed(
  body: string,
  o: { secret?: string; timestamp?: number; nowMs?: number } = {},
): { headers: Record<string, string>; rawBody: string } {
  const ts = o.timestamp ?? Math.floor((o.nowMs ?? FIXTURE_NOW_MS) / 1000);
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': slackSignature(o.secret ?? SIGNING_SECRET, ts, body),
    },
    rawBody: body,
  };
}

/** The form body of a payload. */
export const form = encodeInteractionBody;

/** A valid approval request as the workflow sends it. */
export function sampleRequest(o: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    taskToken: TASK_TOKEN,
    gate: 'before-promotion',
    executionId: 'arn:aws:states:us-west-2:123456789012:execution:gloo-mgmt-failover:incident-INC-4711',
    direction: 'failover',
    trigger: 'alarm',
    incidentId: 'INC-4711',
    detachRedis: false,
    source: { server: 'mgmt-east', region: 'us-east-1' },
    target: { server: 'mgmt-west', region: 'us-west-2' },
    evidence: [
      'relay mgmt-east:9900 refused 3 of 3 connections',
      'alarm gloo-mgmt-east-relay-down in ALARM since 03:11:50Z',
      'Route 53 health check: 2 of 16 checkers healthy (12%)',
    ],
    changes: ['promote the us-west-2 Redis member to primary', 'move the global lock to mgmt-west (epoch 8)'],
    warnings: [],
    dryRun: false,
    ...o,
  };
}

/** A pending approval record for the fixture's approval id. */
export function seededRecord(o: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const { taskToken, ...request } = sampleRequest();
  return {
    approvalId: FIXTURE_APPROVAL_ID,
    taskToken,
    executionId: request.executionId,
    gate: request.gate,
    channel: 'C0OPSFAIL1',
    messageTs: '1763608400.000200',
    expiresAt: Math.floor(FIXTURE_NOW_MS / 1000) + 3_600,
    createdAt: new Date(FIXTURE_NOW_MS - 61_000).toISOString(),
    status: 'pending',
    request,
    ...o,
  };
}

/** TaskCallbacks that record calls and answer `result` (or throw it). */
export class RecordingCallbacks implements TaskCallbacks {
  readonly calls: {
    kind: 'success' | 'failure';
    token: string;
    output?: ApprovalOutput;
    error?: string;
    cause?: string;
  }[] = [];
  result: CallbackResult | Error = { outcome: 'delivered' };

  private answer(): CallbackResult {
    if (this.result instanceof Error) throw this.result;
    return this.result;
  }
  async sendSuccess(token: string, output: ApprovalOutput): Promise<CallbackResult> {
    this.calls.push({ kind: 'success', token, output });
    return this.answer();
  }
  async sendFailure(token: string, error: string, cause: string): Promise<CallbackResult> {
    this.calls.push({ kind: 'failure', token, error, cause });
    return this.answer();
  }
}

/** ChatPoster that records everything; `failUpdate` / `hangRespond` simulate a slow or broken Slack. */
export class RecordingChat implements ChatPoster {
  readonly posts: { channel: string; text: string; blocks: KnownBlock[] }[] = [];
  readonly updates: { channel: string; ts: string; text: string; blocks: KnownBlock[] }[] = [];
  readonly responses: { url: string; payload: ResponseUrlPayload }[] = [];
  failUpdate = false;
  hangRespond = false;

  async post(channel: string, text: string, blocks: KnownBlock[]) {
    this.posts.push({ channel, text, blocks });
    return { ts: `1763608400.00030${this.posts.length}`, channel };
  }
  async update(channel: string, ts: string, text: string, blocks: KnownBlock[]) {
    if (this.failUpdate) throw new Error('slack said: message_not_found');
    this.updates.push({ channel, ts, text, blocks });
  }
  async respond(url: string, payload: ResponseUrlPayload) {
    this.responses.push({ url, payload });
    if (this.hangRespond) await new Promise(() => {});
  }
}
