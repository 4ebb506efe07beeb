import './quiet.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { handleSlackCallback, type SlackCallbackRequest } from '#functions/slack-callback/slack-callback.ts';
import { InMemoryApprovalStore } from '#lib/approvals/memory-store.ts';
import { ManualClock } from '#lib/clock.ts';
import { slackSignature, verifySlackRequest } from '#lib/slack/signature.ts';
import {
  clickPayload,
  FIXTURE_APPROVAL_ID,
  FIXTURE_NOW_MS,
  form,
  RecordingCallbacks,
  RecordingChat,
  SIGNING_SECRET,
  seededRecord,
  signed,
  TASK_TOKEN,
} from './support.ts';

const APPROVERS = ['U0A1B2C3D', 'U0B2C3D4E'];

describe('Slack request verification', () => {
  let clock: ManualClock;
  let store: InMemoryApprovalStore;
  let callbacks: RecordingCallbacks;
  let chat: RecordingChat;

  beforeEach(async () => {
    clock = new ManualClock(FIXTURE_NOW_MS);
    store = new InMemoryApprovalStore({ clock });
    await store.put(seededRecord());
    callbacks = new RecordingCallbacks();
    chat = new RecordingChat();
  });

  const call = (r: { headers: Record<string, string>; rawBody: string }) =>
    handleSlackCallback(
      { ...r, now: clock.now() } satisfies SlackCallbackRequest,
      { store, callbacks, chat },
      { signingSecret: SIGNING_SECRET, approvers: APPROVERS },
    );

  it('accepts a correctly signed click and sends SendTaskSuccess with the stored token', async () => {
    // act
    const res = await call(signed(form(clickPayload())));
    // assess
    expect(res.statusCode).toBe(200);
    expect(callbacks.calls).toEqual([
      {
        kind: 'success',
        token: TASK_TOKEN,
        output: {
          decision: 'approved',
          by: 'U0A1B2C3D',
          byName: 'oncall.sre',
          at: new Date(FIXTURE_NOW_MS).toISOString(),
        },
      },
    ]);
  });

  it('lets only the first of eight requests through: valid, wrong secret, tampered, stale, future, unsigned, replayed, not allowed', async () => {
    // prepare
    const body = form(clickPayload());
    const valid = signed(body);
    const nowSec = Math.floor(FIXTURE_NOW_MS / 1000);
    const tampered = signed(body);
    tampered.rawBody = form(clickPayload({ actionId: 'reject' }));
    const unsigned = { headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: body };
    const notAllowed = signed(form(clickPayload({ userId: 'U0EVE0001', triggerId: '1.2.other' })));
    // act
    const first = await call(valid);
    const afterFirst = await store.all();
    const rest = [
      await call(signed(body, { secret: 'not-the-signing-secret' })),
      await call(tampered),
      await call(signed(body, { timestamp: nowSec - 301 })),
      await call(signed(body, { timestamp: nowSec + 301 })),
      await call(unsigned),
      await call(valid),
      await call(notAllowed),
    ];
    // assess
    expect(first.statusCode).toBe(200);
    expect(rest.map((r) => r.statusCode)).toEqual([401, 401, 401, 401, 401, 200, 200]);
    expect(rest.map((r) => r.body)).toEqual([
      'bad signature',
      'bad signature',
      'stale request: timestamp is 301 s old (limit 300 s)',
      'request timestamp is 301 s in the future (limit 300 s)',
      'unsigned request: missing X-Slack-Signature or X-Slack-Request-Timestamp',
      '',
      '',
    ]);
    expect(callbacks.calls).toHaveLength(1);
    expect(await store.all()).toEqual(afterFirst);
  });

  it.each([
    [
      'signed with another secret',
      () => signed(form(clickPayload()), { secret: 'wrong-secret' }),
      'bad signature',
    ],
    [
      'with a tampered body',
      () => {
        const r = signed(form(clickPayload()));
        return { ...r, rawBody: r.rawBody.replace('U0A1B2C3D', 'U0B2C3D4E') };
      },
      'bad signature',
    ],
    [
      'older than 5 minutes',
      () => signed(form(clickPayload()), { nowMs: FIXTURE_NOW_MS - 301_000 }),
      /^stale request/,
    ],
    [
      'more than 5 minutes in the future',
      () => signed(form(clickPayload()), { nowMs: FIXTURE_NOW_MS + 301_000 }),
      /in the future/,
    ],
    [
      'without X-Slack-Signature',
      () => {
        const r = signed(form(clickPayload()));
        delete r.headers['x-slack-signature'];
        return r;
      },
      /^unsigned request/,
    ],
    [
      'without X-Slack-Request-Timestamp',
      () => {
        const r = signed(form(clickPayload()));
        delete r.headers['x-slack-request-timestamp'];
        return r;
      },
      /^unsigned request/,
    ],
    [
      'with a truncated signature',
      () => {
        const r = signed(form(clickPayload()));
        r.headers['x-slack-signature'] = r.headers['x-slack-signature']!.slice(0, 20);
        return r;
      },
      'bad signature',
    ],
    [
      'with a non-numeric timestamp',
      () => {
        const r = signed(form(clickPayload()));
        r.headers['x-slack-request-timestamp'] = '1763608461.5';
        return r;
      },
      'invalid X-Slack-Request-Timestamp',
    ],
  ])('refuses a request %s with 401 and changes nothing', async (_, build, reason) => {
    // prepare
    const before = await store.all();
    // act
    const res = await call(build());
    // assess
    expect(res.statusCode).toBe(401);
    expect(res.body).toMatch(reason);
    expect(callbacks.calls).toEqual([]);
    expect(chat.responses).toEqual([]);
    expect(await store.all()).toEqual(before);
  });

  it('accepts a timestamp exactly 5 minutes old or ahead', () => {
    // prepare
    const body = form(clickPayload());
    const nowSec = Math.floor(FIXTURE_NOW_MS / 1000);
    // act
    const results = [nowSec - 300, nowSec + 300].map((ts) =>
      verifySlackRequest({
        signingSecret: SIGNING_SECRET,
        ...signed(body, { timestamp: ts }),
        nowMs: FIXTURE_NOW_MS,
      }),
    );
    // assess
    expect(results).toEqual([{ ok: true }, { ok: true }]);
  });

  it('reads the Slack headers in any letter case', async () => {
    // prepare
    const r = signed(form(clickPayload()));
    const headers = {
      'Content-Type': r.headers['content-type']!,
      'X-Slack-Request-Timestamp': r.headers['x-slack-request-timestamp']!,
      'X-SLACK-SIGNATURE': r.headers['x-slack-signature']!,
    };
    // act
    const res = await call({ headers, rawBody: r.rawBody });
    // assess
    expect(res.statusCode).toBe(200);
    expect(callbacks.calls).toHaveLength(1);
  });

  it('matches the signature Slack documents (v0= + hex HMAC-SHA256 of v0:ts:body)', () => {
    // Slack's published example (api.slack.com/authentication/verifying-requests-from-slack).
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('ignores a replayed action: one decision, one SendTask, one message update', async () => {
    // prepare
    const r = signed(form(clickPayload()));
    // act
    const first = await call(r);
    clock.advance(30_000);
    const replay = await call(r);
    // assess
    expect([first.statusCode, replay.statusCode]).toEqual([200, 200]);
    expect(callbacks.calls).toHaveLength(1);
    expect(chat.responses).toHaveLength(1);
    expect((await store.get(FIXTURE_APPROVAL_ID))?.status).toBe('approved');
  });

  it('tells a user who may not approve who may, and changes nothing', async () => {
    // prepare
    const before = await store.all();
    // act
    const res = await call(signed(form(clickPayload({ userId: 'U0EVE0001' }))));
    // assess
    expect(res.statusCode).toBe(200);
    expect(callbacks.calls).toEqual([]);
    expect(await store.all()).toEqual(before);
    expect(chat.responses).toHaveLength(1);
    expect(chat.responses[0]!.payload).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(chat.responses[0]!.payload.text).toContain('<@U0A1B2C3D>, <@U0B2C3D4E>');
  });
});
