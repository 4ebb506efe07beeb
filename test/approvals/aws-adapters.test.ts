import './quiet.ts';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbApprovalStore } from '#lib/approvals/dynamodb-store.ts';
import { cachedSecretReader, secretValue } from '#lib/approvals/secrets.ts';
import { SfnTaskCallbacks } from '#lib/approvals/sfn-callbacks.ts';
import { ManualClock } from '#lib/clock.ts';
import { FIXTURE_APPROVAL_ID, FIXTURE_NOW_MS, seededRecord, TASK_TOKEN } from './support.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const sm = mockClient(SecretsManagerClient);
const TABLE = 'gloo-failover-approvals';
const KEY = { pk: `approval#${FIXTURE_APPROVAL_ID}` };
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const by = { by: 'U0A1B2C3D', byName: 'oncall.sre', at: '2025-11-20T03:14:21.500Z' };

describe('DynamoDbApprovalStore', () => {
  const clock = new ManualClock(FIXTURE_NOW_MS);
  const store = new DynamoDbApprovalStore(new DynamoDBClient({ region: 'us-west-2' }), TABLE, { clock });
  afterEach(() => ddb.reset());

  it('puts a new approval only if the id is free, and a pointer for the timeout path', async () => {
    // prepare
    ddb.on(PutCommand).resolves({});
    // act
    await store.put(seededRecord());
    // assess
    expect(ddb).toHaveReceivedNthCommandWith(PutCommand, 1, {
      TableName: TABLE,
      Item: expect.objectContaining({
        ...KEY,
        taskToken: TASK_TOKEN,
        status: 'pending',
        expiresAt: seededRecord().expiresAt,
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(ddb).toHaveReceivedNthCommandWith(PutCommand, 2, {
      Item: {
        pk: `gate#${seededRecord().executionId}#before-promotion`,
        kind: 'gate',
        approvalId: FIXTURE_APPROVAL_ID,
        expiresAt: seededRecord().expiresAt,
      },
    });
  });

  it('refuses to overwrite an existing approval id (ConditionalCheckFailedException propagates)', async () => {
    // prepare
    ddb.on(PutCommand).rejects(conditionFailed());
    // act
    const err = await store.put(seededRecord()).catch((e) => e);
    // assess
    expect(err.name).toBe('ConditionalCheckFailedException');
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  it('decides with a conditional update from pending and returns the new record', async () => {
    // prepare
    ddb.on(UpdateCommand).resolves({
      Attributes: {
        ...KEY,
        kind: 'approval',
        ...seededRecord({ status: 'approved', ...{ decidedBy: 'U0A1B2C3D' } }),
      },
    });
    // act
    const r = await store.decide(FIXTURE_APPROVAL_ID, 'approved', by);
    // assess
    expect(r).toEqual({
      applied: true,
      record: seededRecord({ status: 'approved', decidedBy: 'U0A1B2C3D' }),
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: KEY,
      ConditionExpression: 'attribute_exists(pk) AND #status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':decision': 'approved',
        ':pending': 'pending',
        ':by': 'U0A1B2C3D',
        ':byName': 'oncall.sre',
        ':at': '2025-11-20T03:14:21.500Z',
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('on ConditionalCheckFailedException returns the existing decision unchanged (applied: false)', async () => {
    // prepare
    const existing = seededRecord({
      status: 'rejected',
      decidedBy: 'U0B2C3D4E',
      decidedAt: '2025-11-20T03:14:00.000Z',
    });
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand, { Key: KEY }).resolves({ Item: { ...KEY, kind: 'approval', ...existing } });
    // act
    const r = await store.decide(FIXTURE_APPROVAL_ID, 'approved', by);
    // assess
    expect(r).toEqual({ applied: false, record: existing });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: KEY, ConsistentRead: true });
  });

  it('answers null when deciding an approval that does not exist', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({});
    expect(await store.decide(FIXTURE_APPROVAL_ID, 'approved', by)).toBeNull();
  });

  it('lets other DynamoDB errors through (the caller must not treat them as decided)', async () => {
    ddb
      .on(UpdateCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const err = await store.decide(FIXTURE_APPROVAL_ID, 'approved', by).catch((e) => e);
    expect(err.name).toBe('ProvisionedThroughputExceededException');
  });

  it('records a dedupe key once: set-if-absent (or expired), then reports it as seen', async () => {
    // prepare
    ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    // act
    const first = await store.seen('slack#t1#a1', 1_763_609_400);
    const second = await store.seen('slack#t1#a1', 1_763_609_400);
    // assess
    expect([first, second]).toEqual([false, true]);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: { pk: 'seen#slack#t1#a1', kind: 'seen', expiresAt: 1_763_609_400 },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      ExpressionAttributeValues: { ':now': Math.floor(FIXTURE_NOW_MS / 1000) },
    });
  });

  it('reopens only the same decider’s decision', async () => {
    // prepare
    ddb.on(UpdateCommand).resolvesOnce({}).rejects(conditionFailed());
    // act
    const results = [
      await store.reopen(FIXTURE_APPROVAL_ID, 'U0A1B2C3D'),
      await store.reopen(FIXTURE_APPROVAL_ID, 'U0B2C3D4E'),
    ];
    // assess
    expect(results).toEqual([true, false]);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: '#status IN (:approved, :rejected) AND decidedBy = :by',
    });
  });

  it('finds the latest approval of a gate through its pointer', async () => {
    // prepare
    const execution = seededRecord().executionId;
    ddb
      .on(GetCommand, { Key: { pk: `gate#${execution}#before-promotion` } })
      .resolves({ Item: { approvalId: FIXTURE_APPROVAL_ID } });
    ddb.on(GetCommand, { Key: KEY }).resolves({ Item: { ...KEY, ...seededRecord() } });
    // act
    const r = await store.findByGate(execution, 'before-promotion');
    // assess
    expect(r?.approvalId).toBe(FIXTURE_APPROVAL_ID);
    expect(r).not.toHaveProperty('pk');
  });
});

describe('SfnTaskCallbacks', () => {
  const callbacks = new SfnTaskCallbacks(new SFNClient({ region: 'us-west-2' }));
  afterEach(() => sfn.reset());
  const output = {
    decision: 'approved' as const,
    by: 'U0A1B2C3D',
    byName: 'oncall.sre',
    at: '2025-11-20T03:14:21.500Z',
  };

  it('sends SendTaskSuccess with the output as JSON', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await callbacks.sendSuccess(TASK_TOKEN, output)).toEqual({ outcome: 'delivered' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TASK_TOKEN,
      output: JSON.stringify(output),
    });
  });

  it('sends SendTaskFailure with error and cause', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    expect(await callbacks.sendFailure(TASK_TOKEN, 'ApprovalRejected', '{"by":"U0A1B2C3D"}')).toEqual({
      outcome: 'delivered',
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TASK_TOKEN,
      error: 'ApprovalRejected',
      cause: '{"by":"U0A1B2C3D"}',
    });
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'Invalid token', $metadata: {} })],
  ])('reports %s as "execution ended" instead of throwing', async (name, error) => {
    sfn.on(SendTaskSuccessCommand).rejects(error());
    sfn.on(SendTaskFailureCommand).rejects(error());
    expect(await callbacks.sendSuccess(TASK_TOKEN, output)).toMatchObject({
      outcome: 'execution-ended',
      error: name,
    });
    expect(await callbacks.sendFailure(TASK_TOKEN, 'ApprovalRejected', '{}')).toMatchObject({
      outcome: 'execution-ended',
      error: name,
    });
  });

  it('throws other errors (throttling) so the decision is not taken as delivered', async () => {
    sfn
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(callbacks.sendSuccess(TASK_TOKEN, output)).rejects.toThrow('Rate exceeded');
  });
});

describe('Slack secrets', () => {
  afterEach(() => sm.reset());

  it('reads a plain secret or a JSON secret with one string field', () => {
    expect(secretValue('s', '  xoxb-123 ')).toBe('xoxb-123');
    expect(secretValue('s', '{"botToken":"xoxb-123"}')).toBe('xoxb-123');
    expect(() => secretValue('s', '{"a":"1","b":"2"}')).toThrow(/2 string fields/);
    expect(() => secretValue('s', undefined)).toThrow(/no SecretString/);
  });

  it('fetches each secret once and retries after a failure', async () => {
    // prepare
    sm.on(GetSecretValueCommand)
      .rejectsOnce(new Error('network'))
      .resolves({ SecretString: 'signing-secret' });
    const read = cachedSecretReader(new SecretsManagerClient({ region: 'us-west-2' }));
    // act
    const first = await read('gloo-failover/slack-signing-secret').catch((e: Error) => e.message);
    const second = await read('gloo-failover/slack-signing-secret');
    const third = await read('gloo-failover/slack-signing-secret');
    // assess
    expect([first, second, third]).toEqual(['network', 'signing-secret', 'signing-secret']);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });
});
