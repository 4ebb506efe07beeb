import './quiet.ts';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildSlackCallbackHandler, handler } from '#functions/slack-callback/handler.ts';
import { InMemoryApprovalStore } from '#lib/approvals/memory-store.ts';
import { ManualClock } from '#lib/clock.ts';
import { localLambdaContext } from '#local/slack-standin.ts';
import {
  FIXTURE_APPROVAL_ID,
  FIXTURE_NOW_MS,
  fixturePayload,
  form,
  RecordingChat,
  SIGNING_SECRET,
  seededRecord,
  signed,
  TASK_TOKEN,
  TOPOLOGY_FILE,
} from './support.ts';

const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
const ddb = mockClient(DynamoDBDocumentClient);

/** The Function URL event Lambda builds for a form POST (body base64-encoded). */
function functionUrlEvent(r: { headers: Record<string, string>; rawBody: string }, base64 = true) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { ...r.headers, host: 'abcdefghij.lambda-url.us-west-2.on.aws', 'user-agent': 'Slackbot 1.0' },
    requestContext: { http: { method: 'POST', path: '/', sourceIp: '3.5.140.2' }, requestId: 'r-1' },
    body: base64 ? Buffer.from(r.rawBody).toString('base64') : r.rawBody,
    isBase64Encoded: base64,
  };
}

describe('slack-callback handler (Function URL)', () => {
  beforeAll(() => {
    vi.stubEnv('TOPOLOGY_FILE', TOPOLOGY_FILE);
    vi.stubEnv('APPROVALS_TABLE', 'gloo-failover-approvals');
    vi.stubEnv('AWS_REGION', 'us-west-2');
  });
  afterEach(() => {
    sfn.reset();
    secrets.reset();
    ddb.reset();
    vi.unstubAllGlobals();
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('drives the fixture, form-encoded and signed, to SendTaskSuccess with the stored token', async () => {
    // prepare: the token table holds the fixture's approval; the clock is the fixture's click time
    const clock = new ManualClock(FIXTURE_NOW_MS);
    const store = new InMemoryApprovalStore({ clock });
    await store.put(seededRecord());
    const chat = new RecordingChat();
    sfn.on(SendTaskSuccessCommand).resolves({});
    secrets
      .on(GetSecretValueCommand, { SecretId: 'gloo-failover/slack-signing-secret' })
      .resolves({ SecretString: SIGNING_SECRET });
    const h = buildSlackCallbackHandler({ store, chat, clock });
    // act
    const res = await h(
      functionUrlEvent(signed(form(fixturePayload()))),
      localLambdaContext('slack-callback'),
    );
    // assess
    expect(res).toMatchObject({ statusCode: 200 });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TASK_TOKEN,
      output: JSON.stringify({
        decision: 'approved',
        by: 'U0A1B2C3D',
        byName: 'oncall.sre',
        at: new Date(FIXTURE_NOW_MS).toISOString(),
      }),
    });
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    expect(chat.responses.at(-1)!.payload.text).toContain('approved by oncall.sre');
  });

  it('refuses the fixture signed with another secret (401) and calls nothing', async () => {
    // prepare
    const clock = new ManualClock(FIXTURE_NOW_MS);
    const store = new InMemoryApprovalStore({ clock });
    await store.put(seededRecord());
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_SECRET });
    const h = buildSlackCallbackHandler({ store, chat: new RecordingChat(), clock });
    // act
    const res = await h(
      functionUrlEvent(signed(form(fixturePayload()), { secret: 'attacker-secret' }), false),
      localLambdaContext('slack-callback'),
    );
    // assess
    expect(res).toMatchObject({ statusCode: 401, body: 'bad signature' });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect((await store.get(FIXTURE_APPROVAL_ID))?.status).toBe('pending');
  });

  it('runs the exported handler on AWS adapters only: DynamoDB conditional decide, SFN, response_url over fetch', async () => {
    // prepare: env topology, the DynamoDB table holds the record, Slack's response_url is stubbed
    const nowMs = Date.now();
    const record = {
      pk: `approval#${FIXTURE_APPROVAL_ID}`,
      kind: 'approval',
      ...seededRecord({ expiresAt: Math.floor(nowMs / 1000) + 900 }),
    };
    ddb.on(GetCommand, { Key: { pk: `approval#${FIXTURE_APPROVAL_ID}` } }).resolves({ Item: record });
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { ...record, status: 'approved', decidedBy: 'U0A1B2C3D' } });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_SECRET });
    const fetchMock = vi.fn(async () => new Response('{"ok":true}', { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    // act
    const res = await handler(
      functionUrlEvent(signed(form(fixturePayload()), { nowMs })),
      localLambdaContext('slack-callback'),
    );
    // assess
    expect(res).toMatchObject({ statusCode: 200 });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'gloo-failover-approvals',
      Item: expect.objectContaining({ pk: `seen#slack#${fixturePayload().trigger_id}#1763608461.123456` }),
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: 'attribute_exists(pk) AND #status = :pending',
      ExpressionAttributeValues: expect.objectContaining({ ':decision': 'approved', ':by': 'U0A1B2C3D' }),
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TASK_TOKEN });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(fixturePayload().response_url);
    expect(JSON.parse(String(init.body))).toMatchObject({ replace_original: true });
    expect(String(init.body)).toContain('The execution had already ended (TaskTimedOut)');
    expect(String(init.body)).not.toContain(TASK_TOKEN);
  });

  it('answers a replay the table has seen with 200 and no second callback', async () => {
    // prepare
    const nowMs = Date.now();
    const record = {
      pk: `approval#${FIXTURE_APPROVAL_ID}`,
      ...seededRecord({ expiresAt: Math.floor(nowMs / 1000) + 900 }),
    };
    ddb.on(GetCommand).resolves({ Item: record });
    ddb
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_SECRET });
    // act
    const res = await handler(
      functionUrlEvent(signed(form(fixturePayload()), { nowMs })),
      localLambdaContext('slack-callback'),
    );
    // assess
    expect(res).toMatchObject({ statusCode: 200, body: '' });
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });
});
