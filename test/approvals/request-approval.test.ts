import './quiet.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildApprovalHandler } from '#functions/request-approval/handler.ts';
import {
  type ApprovalSettings,
  requestApproval,
  timeoutApproval,
} from '#functions/request-approval/request-approval.ts';
import { InMemoryApprovalStore } from '#lib/approvals/memory-store.ts';
import { APPROVAL_ID_PATTERN, newApprovalId } from '#lib/approvals/model.ts';
import { ManualClock } from '#lib/clock.ts';
import { isNamed } from '#lib/errors.ts';
import { localLambdaContext } from '#local/slack-standin.ts';
import { exampleTopology, RecordingChat, sampleRequest, TASK_TOKEN } from './support.ts';

const SETTINGS: ApprovalSettings = {
  channel: 'C0OPSFAIL1',
  approvers: ['U0A1B2C3D', 'U0B2C3D4E'],
  timeoutSeconds: 900,
  onTimeout: 'reject',
  ttlMarginSeconds: 3_600,
};

type Json = Record<string, unknown>;
const blocksOfType = (blocks: unknown[], type: string) => (blocks as Json[]).filter((b) => b.type === type);

describe('requestApproval', () => {
  let clock: ManualClock;
  let store: InMemoryApprovalStore;
  let chat: RecordingChat;

  beforeEach(() => {
    clock = new ManualClock(Date.parse('2026-11-20T03:12:41Z'));
    store = new InMemoryApprovalStore({ clock });
    chat = new RecordingChat();
  });

  it('keeps the task token server-side: nothing posted to Slack contains it', async () => {
    // act
    const out = await requestApproval(sampleRequest(), { store, chat, clock }, SETTINGS);
    // assess
    expect(chat.posts).toHaveLength(1);
    const posted = JSON.stringify(chat.posts);
    expect(posted).not.toContain(TASK_TOKEN);
    expect(posted).not.toContain(TASK_TOKEN.slice(0, 24));
    expect((await store.get(out.approvalId))?.taskToken).toBe(TASK_TOKEN);
  });

  it('puts only the approval id on the Approve and Reject buttons, each behind a confirm dialog', async () => {
    // act
    const out = await requestApproval(sampleRequest(), { store, chat, clock }, SETTINGS);
    // assess
    const [actions] = blocksOfType(chat.posts[0]!.blocks, 'actions');
    expect(actions?.block_id).toBe('decision');
    const buttons = actions?.elements as Json[];
    expect(buttons.map((b) => [b.action_id, b.value, b.style])).toEqual([
      ['approve', out.approvalId, 'primary'],
      ['reject', out.approvalId, 'danger'],
    ]);
    for (const b of buttons) {
      const confirm = b.confirm as Record<string, { text: string }>;
      expect(Object.keys(confirm).sort()).toEqual(['confirm', 'deny', 'style', 'text', 'title']);
      expect(confirm.title!.text.length).toBeLessThanOrEqual(100);
      expect(confirm.text!.text.length).toBeLessThanOrEqual(300);
    }
    expect(out.approvalId).toMatch(APPROVAL_ID_PATTERN);
  });

  it('shows the plan: title, source -> target, trigger and incident, evidence, changes, who may approve, timeout policy', async () => {
    // act
    await requestApproval(sampleRequest(), { store, chat, clock }, SETTINGS);
    // assess
    const { channel, text, blocks } = chat.posts[0]!;
    const all = JSON.stringify(blocks);
    expect(channel).toBe('C0OPSFAIL1');
    expect(text).toBe(
      'Failover of the Gloo management plane us-east-1 -> us-west-2 needs approval: before promoting the target Redis',
    );
    expect(blocksOfType(blocks, 'header')[0]).toMatchObject({
      text: { type: 'plain_text', text: 'Failover approval: before promoting the target Redis' },
    });
    for (const s of [
      '*mgmt-east* (us-east-1) → *mgmt-west* (us-west-2)',
      '*Trigger*\\nCloudWatch alarm',
      '*Incident*\\nINC-4711',
      '`incident-INC-4711`',
      '• relay mgmt-east:9900 refused 3 of 3 connections',
      '*What this step will change*',
      '• move the global lock to mgmt-west (epoch 8)',
      'Who may approve: <@U0A1B2C3D>, <@U0B2C3D4E>. Unanswered by 03:27 UTC (15 min): the step is rejected',
    ])
      expect(all).toContain(s);
    expect(all).not.toContain('Dry run');
  });

  it('marks a dry run in the title and with a notice', async () => {
    // act
    await requestApproval(sampleRequest({ dryRun: true }), { store, chat, clock }, SETTINGS);
    // assess
    const all = JSON.stringify(chat.posts[0]!.blocks);
    expect(all).toContain('[DRY RUN] Failover approval');
    expect(all).toContain('*Dry run*: nothing will be changed');
    expect(chat.posts[0]!.text).toContain('(dry run)');
  });

  it('says an alarm-triggered failover proceeds on timeout under proceed-if-alarm, a manual one does not', async () => {
    // act
    await requestApproval(
      sampleRequest(),
      { store, chat, clock },
      { ...SETTINGS, onTimeout: 'proceed-if-alarm' },
    );
    await requestApproval(
      sampleRequest({ trigger: 'manual' }),
      { store, chat, clock },
      { ...SETTINGS, onTimeout: 'proceed-if-alarm' },
    );
    // assess
    expect(JSON.stringify(chat.posts[0]!.blocks)).toContain('the step proceeds (alarm-triggered failover');
    expect(JSON.stringify(chat.posts[1]!.blocks)).toContain(
      'the step is rejected (only alarm-triggered failovers proceed)',
    );
  });

  it('escapes Slack control characters in evidence so it cannot mention @channel or forge links', async () => {
    // act
    await requestApproval(
      sampleRequest({ evidence: ['probe said <!channel> & <https://evil.example|click>'] }),
      { store, chat, clock },
      SETTINGS,
    );
    // assess
    const all = JSON.stringify(chat.posts[0]!.blocks);
    expect(all).toContain('probe said &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(all).not.toContain('<!channel>');
  });

  it('keeps a long evidence list inside the 3,000-character section limit', async () => {
    // act
    const evidence = Array.from({ length: 100 }, (_, i) => `signal ${i}: ${'x'.repeat(200)}`);
    await requestApproval(sampleRequest({ evidence }), { store, chat, clock }, SETTINGS);
    // assess
    const sections = blocksOfType(chat.posts[0]!.blocks, 'section') as { text?: { text: string } }[];
    const verified = sections.find((s) => s.text?.text.startsWith('*What was verified*'))!;
    expect(verified.text!.text.length).toBeLessThanOrEqual(3_000);
    expect(verified.text!.text).toMatch(/_… and \d+ more_$/);
  });

  it('stores a pending record with TTL = timeout + margin and the posted message ts', async () => {
    // act
    const out = await requestApproval(sampleRequest(), { store, chat, clock }, SETTINGS);
    // assess
    const nowSec = Math.floor(clock.now() / 1000);
    expect(await store.get(out.approvalId)).toMatchObject({
      status: 'pending',
      channel: 'C0OPSFAIL1',
      messageTs: out.messageTs,
      gate: 'before-promotion',
      expiresAt: nowSec + 900 + 3_600,
      request: { incidentId: 'INC-4711', dryRun: false },
    });
    expect((await store.get(out.approvalId))?.request).not.toHaveProperty('taskToken');
    expect(out.expiresAt).toBe(nowSec + 4_500);
  });

  it('makes random approval ids of 26 Crockford base32 characters', () => {
    const ids = new Set(Array.from({ length: 1000 }, newApprovalId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^apr_[0-9ABCDEFGHJKMNPQRSTVWXYZ]{26}$/);
  });
});

describe('timeoutApproval', () => {
  let clock: ManualClock;
  let store: InMemoryApprovalStore;
  let chat: RecordingChat;
  let approvalId: string;
  const EXECUTION = sampleRequest().executionId;

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-11-20T03:12:41Z'));
    store = new InMemoryApprovalStore({ clock });
    chat = new RecordingChat();
    approvalId = (await requestApproval(sampleRequest(), { store, chat, clock }, SETTINGS)).approvalId;
    clock.advance(900_000);
  });

  const input = (o: Partial<{ trigger: 'alarm' | 'manual' }> = {}) => ({
    action: 'timeout' as const,
    executionId: EXECUTION,
    gate: 'before-promotion' as const,
    trigger: o.trigger ?? 'alarm',
  });

  it('rejects under onTimeout=reject: ApprovalTimedOut, record expired, message says the policy rejected', async () => {
    // act
    const err = await timeoutApproval(input(), { store, chat, clock }, SETTINGS).catch((e) => e);
    // assess
    expect(isNamed(err, 'ApprovalTimedOut')).toBe(true);
    expect(err.details).toMatchObject({ approvalId, policy: 'reject', messageUpdated: true });
    expect((await store.get(approvalId))?.status).toBe('expired');
    expect(chat.updates).toHaveLength(1);
    expect(chat.updates[0]).toMatchObject({ channel: 'C0OPSFAIL1', ts: '1763608400.000301' });
    expect(JSON.stringify(chat.updates[0]!.blocks)).toContain(
      'the policy rejected the step; nothing was changed',
    );
    expect(JSON.stringify(chat.updates[0]!.blocks)).not.toContain('"actions"');
  });

  it('proceeds for an alarm-triggered failover under proceed-if-alarm, and says so', async () => {
    // act
    const out = await timeoutApproval(
      input(),
      { store, chat, clock },
      { ...SETTINGS, onTimeout: 'proceed-if-alarm' },
    );
    // assess
    expect(out).toEqual({
      decision: 'approved',
      by: 'timeout-policy',
      byName: 'onTimeout: proceed-if-alarm',
      at: '2026-11-20T03:27:41.000Z',
      policy: 'proceed-if-alarm',
    });
    expect(JSON.stringify(chat.updates[0]!.blocks)).toContain(
      'the policy lets this alarm-triggered failover proceed',
    );
  });

  it('rejects a manual run under proceed-if-alarm', async () => {
    const err = await timeoutApproval(
      input({ trigger: 'manual' }),
      { store, chat, clock },
      {
        ...SETTINGS,
        onTimeout: 'proceed-if-alarm',
      },
    ).catch((e) => e);
    expect(isNamed(err, 'ApprovalTimedOut')).toBe(true);
  });

  it('applies the policy even when the Slack message cannot be updated', async () => {
    // prepare
    chat.failUpdate = true;
    // act
    const out = await timeoutApproval(
      input(),
      { store, chat, clock },
      { ...SETTINGS, onTimeout: 'proceed-if-alarm' },
    );
    // assess
    expect(out.decision).toBe('approved');
    expect((await store.get(approvalId))?.status).toBe('expired');
  });

  it('is idempotent: a retried timeout changes nothing more', async () => {
    // act
    await timeoutApproval(input(), { store, chat, clock }, SETTINGS).catch(() => {});
    const first = await store.get(approvalId);
    await timeoutApproval(input(), { store, chat, clock }, SETTINGS).catch(() => {});
    // assess
    expect(await store.get(approvalId)).toEqual(first);
  });
});

describe('approval handler (request and action: timeout)', () => {
  it('refuses a payload without a task token, naming the field, and posts nothing', async () => {
    // prepare
    const chat = new RecordingChat();
    const store = new InMemoryApprovalStore();
    const h = buildApprovalHandler({ topology: exampleTopology, store, chat });
    const { taskToken: _, ...payload } = sampleRequest();
    // act
    const err = (await h(payload, localLambdaContext('request-approval')).catch((e: unknown) => e)) as Error;
    // assess
    expect(isNamed(err, 'InvalidInput')).toBe(true);
    expect(err.message).toContain('taskToken');
    expect(chat.posts).toEqual([]);
    expect(store.all()).toEqual([]);
  });

  it('routes action: timeout to the timeout policy, and anything else to a request', async () => {
    // prepare
    const clock = new ManualClock();
    const chat = new RecordingChat();
    const store = new InMemoryApprovalStore({ clock });
    const h = buildApprovalHandler({ topology: exampleTopology, store, chat, clock });
    const ctx = localLambdaContext('request-approval');
    // act
    const requested = (await h(sampleRequest(), ctx)) as { approvalId: string };
    const timedOut = await h(
      {
        action: 'timeout',
        gate: 'before-promotion',
        executionId: sampleRequest().executionId,
        trigger: 'alarm',
        onTimeout: 'proceed-if-alarm',
      },
      ctx,
    );
    // assess
    expect(requested.approvalId).toMatch(APPROVAL_ID_PATTERN);
    expect(timedOut).toMatchObject({ decision: 'approved', by: 'timeout-policy' });
    expect((await store.get(requested.approvalId))?.status).toBe('expired');
    expect(chat.updates).toHaveLength(1);
  });
});
