import './quiet.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { handleSlackCallback, type SlackCallbackPorts } from '#functions/slack-callback/slack-callback.ts';
import { InMemoryApprovalStore } from '#lib/approvals/memory-store.ts';
import { ManualClock } from '#lib/clock.ts';
import {
  clickPayload,
  FIXTURE_APPROVAL_ID,
  FIXTURE_NOW_MS,
  fixturePayload,
  form,
  RecordingCallbacks,
  RecordingChat,
  SIGNING_SECRET,
  seededRecord,
  signed,
  TASK_TOKEN,
} from './support.ts';

const APPROVERS = ['U0A1B2C3D', 'U0B2C3D4E'];
const AT = new Date(FIXTURE_NOW_MS).toISOString();

describe('handleSlackCallback', () => {
  let clock: ManualClock;
  let store: InMemoryApprovalStore;
  let callbacks: RecordingCallbacks;
  let chat: RecordingChat;
  let extra: Partial<SlackCallbackPorts>;

  beforeEach(async () => {
    clock = new ManualClock(FIXTURE_NOW_MS);
    store = new InMemoryApprovalStore({ clock });
    await store.put(seededRecord());
    callbacks = new RecordingCallbacks();
    chat = new RecordingChat();
    extra = {};
  });

  const click = (payload: unknown) =>
    handleSlackCallback(
      {
        ...signed(typeof payload === 'string' ? payload : form(payload), { nowMs: clock.now() }),
        now: clock.now(),
      },
      { store, callbacks, chat, ...extra },
      { signingSecret: SIGNING_SECRET, approvers: APPROVERS },
    );

  it('approves: SendTaskSuccess with the stored token, then the message shows who approved and when', async () => {
    // act
    const res = await click(clickPayload());
    // assess
    expect(res).toEqual({
      statusCode: 200,
      body: '',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
    expect(callbacks.calls).toEqual([
      {
        kind: 'success',
        token: TASK_TOKEN,
        output: { decision: 'approved', by: 'U0A1B2C3D', byName: 'oncall.sre', at: AT },
      },
    ]);
    const update = chat.responses.at(-1)!;
    expect(update.url).toBe(fixturePayload().response_url);
    expect(update.payload.replace_original).toBe(true);
    expect(JSON.stringify(update.payload.blocks)).toContain(
      `Approved* by <@U0A1B2C3D> (oncall.sre) at ${AT}`,
    );
    expect(JSON.stringify(update.payload.blocks)).not.toContain('"actions"');
    expect(await store.get(FIXTURE_APPROVAL_ID)).toMatchObject({
      status: 'approved',
      decidedBy: 'U0A1B2C3D',
      decidedAt: AT,
    });
  });

  it('rejects: SendTaskFailure ApprovalRejected with {by, at, reason} as cause', async () => {
    // act
    const res = await click(clickPayload({ actionId: 'reject' }));
    // assess
    expect(res.statusCode).toBe(200);
    expect(callbacks.calls).toHaveLength(1);
    const call = callbacks.calls[0]!;
    expect(call).toMatchObject({ kind: 'failure', token: TASK_TOKEN, error: 'ApprovalRejected' });
    expect(JSON.parse(call.cause!)).toEqual({
      by: 'U0A1B2C3D',
      at: AT,
      reason: 'rejected in Slack by oncall.sre',
    });
    expect(chat.responses.at(-1)!.payload.text).toContain('rejected by oncall.sre');
    expect((await store.get(FIXTURE_APPROVAL_ID))?.status).toBe('rejected');
  });

  it.each([
    ['a body without a payload field', 'foo=bar', /no payload field/],
    ['a payload that is not JSON', 'payload=%7Bnot-json', /not JSON/],
    ['a payload of another type', form({ ...fixturePayload(), type: 'view_submission' }), /type/],
    [
      'a payload with two actions',
      form({ ...fixturePayload(), actions: [fixturePayload().actions[0], fixturePayload().actions[0]] }),
      /exactly one action/,
    ],
    ['an unknown action', form(clickPayload({ actionId: 'escalate' })), /unsupported action "escalate"/],
    [
      'a value that is not an approval id',
      form(clickPayload({ value: 'arn:aws:states:token' })),
      /not an approval id/,
    ],
  ])('answers 400 to %s and changes nothing', async (_, body, reason) => {
    // prepare
    const before = await store.all();
    // act
    const res = await click(body);
    // assess
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/^malformed request: /);
    expect(res.body).toMatch(reason);
    expect(callbacks.calls).toEqual([]);
    expect(await store.all()).toEqual(before);
  });

  it('answers 400 "unknown or expired approval" for an unknown approval id and tells the user', async () => {
    // act
    const res = await click(clickPayload({ value: 'apr_0000000000000000000000000Z' }));
    // assess
    expect(res).toMatchObject({ statusCode: 400, body: 'unknown or expired approval' });
    expect(callbacks.calls).toEqual([]);
    expect(chat.responses.map((r) => r.payload)).toEqual([
      {
        response_type: 'ephemeral',
        replace_original: false,
        text: 'Unknown or expired approval: nothing was changed.',
      },
    ]);
  });

  it('treats a record past its TTL as unknown (DynamoDB deletes expired items lazily)', async () => {
    // prepare
    clock.advance(3_601_000);
    // act
    const res = await click(clickPayload());
    // assess
    expect(res).toMatchObject({ statusCode: 400, body: 'unknown or expired approval' });
    expect(callbacks.calls).toEqual([]);
  });

  it('refuses a click from another channel than the approval was posted to', async () => {
    // act
    const res = await click({ ...clickPayload(), channel: { id: 'C0ELSEWHERE', name: 'random' } });
    // assess
    expect(res.statusCode).toBe(400);
    expect(callbacks.calls).toEqual([]);
  });

  it('tells a second approver it was already approved and sends nothing more', async () => {
    // prepare
    await click(clickPayload());
    // act
    const res = await click(
      clickPayload({ userId: 'U0B2C3D4E', actionId: 'reject', triggerId: '2.2.second' }),
    );
    // assess
    expect(res.statusCode).toBe(200);
    expect(callbacks.calls).toHaveLength(1);
    expect(chat.responses.at(-1)!.payload).toMatchObject({
      response_type: 'ephemeral',
      text: `Already approved by <@U0A1B2C3D> at ${AT}. Your click changed nothing.`,
    });
    expect((await store.get(FIXTURE_APPROVAL_ID))?.status).toBe('approved');
  });

  it('sends exactly one callback when two approvers click approve and reject at the same moment', async () => {
    // act
    const results = await Promise.all([
      click(clickPayload()),
      click(clickPayload({ userId: 'U0B2C3D4E', actionId: 'reject', triggerId: '3.3.race' })),
    ]);
    // assess
    expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(callbacks.calls).toHaveLength(1);
  });

  it('says in Slack when the execution had already ended (TaskTimedOut)', async () => {
    // prepare
    callbacks.result = { outcome: 'execution-ended', error: 'TaskTimedOut', message: 'Task Timed Out' };
    // act
    const res = await click(clickPayload());
    // assess
    expect(res.statusCode).toBe(200);
    const update = chat.responses.at(-1)!.payload;
    expect(update.replace_original).toBe(true);
    expect(update.text).toContain('too late: the execution had already ended, TaskTimedOut');
    expect(JSON.stringify(update.blocks)).toContain('The execution had already ended (TaskTimedOut)');
  });

  it('reopens the approval when Step Functions could not be reached, so a second click works', async () => {
    // prepare
    callbacks.result = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    // act
    const failed = await click(clickPayload());
    const afterFailure = await store.get(FIXTURE_APPROVAL_ID);
    callbacks.result = { outcome: 'delivered' };
    const retried = await click(clickPayload({ triggerId: '4.4.retry' }));
    // assess
    expect([failed.statusCode, retried.statusCode]).toEqual([200, 200]);
    expect(afterFailure?.status).toBe('pending');
    expect(chat.responses[0]!.payload.text).toContain(
      'Could not deliver your decision to Step Functions (ThrottlingException)',
    );
    expect(callbacks.calls).toHaveLength(2);
    expect((await store.get(FIXTURE_APPROVAL_ID))?.status).toBe('approved');
  });

  it('answers Slack without waiting for a message update that hangs', async () => {
    // prepare: the update never finishes; the budget runs out at once
    chat.hangRespond = true;
    let budget = -1;
    extra.deadline = async (ms) => {
      budget = ms;
    };
    // act
    const res = await click(clickPayload());
    // assess
    expect(res.statusCode).toBe(200);
    expect(callbacks.calls).toHaveLength(1);
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThanOrEqual(2_000);
  });

  it('tells a late clicker that the approval timed out, and sends nothing', async () => {
    // prepare
    await store.decide(FIXTURE_APPROVAL_ID, 'expired', {
      by: 'timeout-policy',
      byName: 'onTimeout: reject',
      at: AT,
    });
    // act
    const res = await click(clickPayload());
    // assess
    expect(res.statusCode).toBe(200);
    expect(callbacks.calls).toEqual([]);
    expect(chat.responses.at(-1)!.payload.text).toMatch(
      /^This approval timed out at .*Your click changed nothing\.$/,
    );
  });
});
