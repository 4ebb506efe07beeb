import './quiet.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNamed } from '#lib/errors.ts';
import { SlackChatPoster } from '#lib/slack/chat.ts';
import { type LocalApprovals, LocalTaskCallbacks, startLocalApprovals } from '#local/approvals-local.ts';
import { renderForTerminal } from '#local/slack-standin.ts';
import { exampleTopology, sampleRequest } from './support.ts';

const USERS = { U0A1B2C3D: 'oncall.sre', U0B2C3D4E: 'second.sre', U0EVE0001: 'eve' };

describe('local approvals end to end (stand-in + real handlers over HTTP + LocalTaskCallbacks)', () => {
  let a: LocalApprovals;

  beforeAll(async () => {
    a = await startLocalApprovals({ topology: exampleTopology(), users: USERS });
  });
  afterAll(async () => {
    await a.stop();
  });

  /** Starts an approval task and returns it with its posted message. */
  async function request(o: Parameters<typeof sampleRequest>[0] = {}) {
    const next = a.standIn.nextMessage();
    const task = a.runApprovalTask(sampleRequest({ taskToken: LocalTaskCallbacks.newToken(), ...o }));
    task.catch(() => {}); // observed by the test
    const message = await next;
    // the token the task waits on, as stored server-side (the latest record: requests run one at a time)
    const taskToken = a.store.all().at(-1)!.taskToken;
    return { taskToken, task, message };
  }

  it('request -> click approve -> wait() resolves with the decision; the message shows who approved', async () => {
    // act
    const { taskToken, task, message } = await request();
    const click = await a.standIn.clickButton(message.ts, 'approve', 'U0A1B2C3D');
    const output = await task;
    // assess
    expect(click.status).toBe(200);
    expect(output).toMatchObject({ decision: 'approved', by: 'U0A1B2C3D', byName: 'oncall.sre' });
    const updated = a.standIn.message(message.ts)!;
    expect(updated.history.map((h) => h.via)).toEqual(['chat.postMessage', 'response_url']);
    expect(updated.text).toContain(`approved by oncall.sre at ${output.at}`);
    expect(updated.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(a.standIn.requests)).not.toContain(taskToken);
    expect(JSON.stringify(click.request)).not.toContain(taskToken);
  });

  it('request -> click reject -> wait() rejects ApprovalRejected with {by, at, reason}', async () => {
    // act
    const { task, message } = await request({
      gate: 'before-failback',
      direction: 'failback',
      trigger: 'manual',
    });
    await a.standIn.clickButton(message.ts, 'reject', 'U0B2C3D4E');
    const err = await task.catch((e: unknown) => e);
    // assess
    expect(isNamed(err, 'ApprovalRejected')).toBe(true);
    expect((err as { details: unknown }).details).toMatchObject({
      by: 'U0B2C3D4E',
      reason: 'rejected in Slack by second.sre',
    });
    expect(JSON.parse((err as Error).message)).toMatchObject({ by: 'U0B2C3D4E' });
    expect(a.standIn.message(message.ts)!.text).toContain('rejected by second.sre');
  });

  it('tells a user who may not approve who may (ephemeral), and the task keeps waiting', async () => {
    // prepare
    const { task, message } = await request();
    const sentBefore = a.callbacks.sent.length;
    // act
    const eve = await a.standIn.clickButton(message.ts, 'approve', 'U0EVE0001');
    // assess
    expect(eve.status).toBe(200);
    expect(a.callbacks.sent.length).toBe(sentBefore);
    expect(a.standIn.ephemerals.at(-1)).toMatchObject({
      userId: 'U0EVE0001',
      messageTs: message.ts,
      text: 'You may not approve or reject this step. Who may: <@U0A1B2C3D>, <@U0B2C3D4E>.',
    });
    expect(a.standIn.message(message.ts)!.history).toHaveLength(1);
    // and an approver still can
    await a.standIn.clickButton(message.ts, 'approve', 'U0A1B2C3D');
    await expect(task).resolves.toMatchObject({ decision: 'approved' });
  });

  it('does nothing on a replayed click', async () => {
    // prepare
    const { task, message } = await request();
    const first = await a.standIn.clickButton(message.ts, 'approve', 'U0A1B2C3D');
    await task;
    const sent = a.callbacks.sent.length;
    // act
    const replay = await a.standIn.send(first.request);
    // assess
    expect(replay).toEqual({ status: 200, body: '' });
    expect(a.callbacks.sent.length).toBe(sent);
    expect(a.standIn.message(message.ts)!.history).toHaveLength(2);
  });

  it('on timeout applies the policy and updates the message; a late click then changes nothing', async () => {
    // prepare
    const { taskToken, task, message } = await request({ trigger: 'manual' });
    // a click on a client that still shows the buttons, arriving after the timeout
    const lateClick = a.standIn.buildClick(message.ts, 'approve', 'U0A1B2C3D');
    // act: Step Functions times the task out, then the workflow invokes the timeout action
    a.callbacks.expire(taskToken);
    const waited = await task.catch((e: unknown) => e);
    const policy = await a
      .runApprovalTimeout({
        executionId: sampleRequest().executionId,
        gate: 'before-promotion',
        trigger: 'manual',
      })
      .catch((e: unknown) => e);
    const late = await a.standIn.send(lateClick);
    // assess
    expect((waited as Error).name).toBe('States.Timeout');
    expect(isNamed(policy, 'ApprovalTimedOut')).toBe(true);
    const m = a.standIn.message(message.ts)!;
    expect(m.history.map((h) => h.via)).toEqual(['chat.postMessage', 'chat.update']);
    expect(JSON.stringify(m.blocks)).toContain('the policy rejected the step; nothing was changed');
    expect(late.status).toBe(200);
    expect(a.standIn.ephemerals.at(-1)!.text).toMatch(/^This approval timed out/);
    expect(a.callbacks.sent.filter((s) => s.token === taskToken)).toEqual([]);
  });

  it('says in Slack when the click comes after the task had closed', async () => {
    // prepare
    const { taskToken, task, message } = await request();
    a.callbacks.expire(taskToken);
    await task.catch(() => {});
    // act
    const res = await a.standIn.clickButton(message.ts, 'approve', 'U0A1B2C3D');
    // assess
    expect(res.status).toBe(200);
    expect(a.callbacks.sent.at(-1)).toMatchObject({ token: taskToken, result: 'execution-ended' });
    expect(JSON.stringify(a.standIn.message(message.ts)!.blocks)).toContain(
      'The execution had already ended (TaskTimedOut)',
    );
  });

  it('gives each approval task its own token, even when the local runner repeats $$.Task.Token', async () => {
    // prepare: two gates of one run, same runner token
    const runToken = `local-token-${crypto.randomUUID()}`;
    const first = await request({ taskToken: runToken });
    await a.standIn.clickButton(first.message.ts, 'approve', 'U0A1B2C3D');
    await first.task;
    // act
    const second = await request({ taskToken: runToken, gate: 'before-dns' });
    const stillWaiting = await Promise.race([
      second.task.then(() => 'settled'),
      new Promise((r) => setImmediate(() => r('waiting'))),
    ]);
    await a.standIn.clickButton(second.message.ts, 'reject', 'U0A1B2C3D');
    // assess
    expect(stillWaiting).toBe('waiting');
    expect(first.taskToken).not.toBe(second.taskToken);
    await expect(second.task).rejects.toMatchObject({ name: 'ApprovalRejected' });
  });

  it('renders the message for a terminal with the words to type', async () => {
    // prepare
    const { message } = await request({ dryRun: true });
    // act
    const text = renderForTerminal(message, { users: USERS });
    // assess
    expect(text).toContain('[DRY RUN] FAILOVER APPROVAL: BEFORE PROMOTING THE TARGET REDIS');
    expect(text).toContain('mgmt-east (us-east-1) → mgmt-west (us-west-2)');
    expect(text).toContain('• relay mgmt-east:9900 refused 3 of 3 connections');
    expect(text).toContain('Who may approve: @oncall.sre, @second.sre.');
    expect(text).toContain('[ Approve failover ]  type: approve');
    expect(text).toContain('[ Reject ]  type: reject');
    expect(text).not.toMatch(/[<>]|&lt;/);
  });

  it('answers invalid_auth to a Web API call with the wrong bot token, like Slack', async () => {
    const chat = new SlackChatPoster({ token: 'xoxb-wrong', slackApiUrl: a.standIn.apiUrl, retries: 0 });
    await expect(chat.post('C0OPSFAIL1', 'hi', [])).rejects.toThrow(/invalid_auth/);
  });
});

describe('LocalTaskCallbacks', () => {
  const output = {
    decision: 'approved' as const,
    by: 'U0A1B2C3D',
    byName: 'oncall.sre',
    at: '2026-11-20T03:14:00.000Z',
  };

  it('keeps a callback that comes before wait(), and closes the token after the first', async () => {
    // prepare
    const cb = new LocalTaskCallbacks();
    // act
    const first = await cb.sendSuccess('t1', output);
    const second = await cb.sendFailure('t1', 'ApprovalRejected', '{}');
    // assess
    expect(first).toEqual({ outcome: 'delivered' });
    expect(second).toMatchObject({ outcome: 'execution-ended', error: 'TaskTimedOut' });
    await expect(cb.wait('t1')).resolves.toEqual(output);
  });

  it('rejects wait() with States.Timeout when the task times out', async () => {
    // prepare
    const cb = new LocalTaskCallbacks();
    const waiting = cb.wait('t2', 60_000).then(
      () => new Error('resolved'),
      (e: Error) => e,
    );
    // act
    cb.expire('t2');
    // assess
    expect((await waiting).name).toBe('States.Timeout');
    expect(await cb.sendSuccess('t2', output)).toMatchObject({ outcome: 'execution-ended' });
  });
});
