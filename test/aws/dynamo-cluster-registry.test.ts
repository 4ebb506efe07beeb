import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoClusterRegistry, RUN_SET_PART_BYTES } from '#lib/aws/dynamo-cluster-registry.ts';
import { isNamed } from '#lib/errors.ts';

const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => ddb.reset());

function registry(ttlSeconds?: number) {
  return new DynamoClusterRegistry({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    tableName: 'gloo-failover-state',
    ttlSeconds,
  });
}

describe('DynamoClusterRegistry', () => {
  it('reads the last-seen clusters of a server with a consistent read', async () => {
    ddb.on(GetCommand).resolves({
      Item: {
        pk: 'clusters#mgmt-east',
        clusters: ['cluster-1', 'cluster-2'],
        at: '2026-11-20T03:10:00.000Z',
      },
    });
    const seen = await registry().lastSeen('mgmt-east');
    expect(seen).toEqual({ clusters: ['cluster-1', 'cluster-2'], at: '2026-11-20T03:10:00.000Z' });
    expect(ddb).toHaveReceivedCommandExactlyOnceWith(GetCommand, {
      TableName: 'gloo-failover-state',
      Key: { pk: 'clusters#mgmt-east' },
      ConsistentRead: true,
    });
  });

  it('returns null when nothing was recorded', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await registry().lastSeen('mgmt-east')).toBeNull();
  });

  it('records the clusters with a TTL and never replaces a newer observation', async () => {
    ddb.on(PutCommand).resolves({});
    await registry(86_400).record('mgmt-west', ['cluster-2', 'cluster-1'], '2026-11-20T03:10:00.000Z');
    expect(ddb).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: 'gloo-failover-state',
      Item: {
        pk: 'clusters#mgmt-west',
        clusters: ['cluster-1', 'cluster-2'],
        at: '2026-11-20T03:10:00.000Z',
        ttl: Date.parse('2026-11-20T03:10:00.000Z') / 1000 + 86_400,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: { ':at': '2026-11-20T03:10:00.000Z' },
    });
  });

  it('ignores an out-of-order (older) record', async () => {
    ddb
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    await expect(registry().record('mgmt-west', ['c'], '2026-11-20T03:00:00.000Z')).resolves.toBeUndefined();
  });

  it('turns throughput throttling into a TransientError', async () => {
    ddb.on(GetCommand).rejects(
      new DynamoDBServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate of requests exceeds the allowed throughput.',
      }),
    );
    const err = await registry()
      .lastSeen('mgmt-east')
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
  });

  it('keeps a run set of 10,000 random 63-character names in parts under the 400 KB item limit and reads it back whole (DynamoDB "Service, account, and table quotas": item size 400 KB)', async () => {
    // prepare: a table in memory behind the mocked client; names that barely compress
    const table = new Map<string, Record<string, unknown>>();
    ddb.on(PutCommand).callsFake((i) => {
      table.set(i.Item.pk, structuredClone(i.Item));
      return {};
    });
    ddb.on(GetCommand).callsFake((i) => ({ Item: table.get(i.Key.pk) }));
    const { randomBytes } = await import('node:crypto');
    const names = Array.from({ length: 10_000 }, () => randomBytes(40).toString('hex').slice(0, 63));

    // act
    await registry().saveRunSet('expected#run-1', names, '2026-11-20T03:10:00.000Z');
    const back = await registry().runSet('expected#run-1');

    // assess
    expect(back?.clusters).toEqual([...names].sort());
    const parts = [...table.values()].filter((x) => String(x.pk).startsWith('runset#expected#run-1#'));
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect((p.data as Uint8Array).length).toBeLessThanOrEqual(RUN_SET_PART_BYTES);
    const head = table.get('runset#expected#run-1')!;
    expect(head).toMatchObject({ count: 10_000, parts: parts.length });
    expect(head.ttl).toBe(Date.parse('2026-11-20T03:10:00.000Z') / 1000 + 15 * 24 * 3600);
  });

  it('returns null for a run set never saved, and refuses parts that do not match the digest', async () => {
    const table = new Map<string, Record<string, unknown>>();
    ddb.on(PutCommand).callsFake((i) => {
      table.set(i.Item.pk, structuredClone(i.Item));
      return {};
    });
    ddb.on(GetCommand).callsFake((i) => ({ Item: table.get(i.Key.pk) }));
    expect(await registry().runSet('expected#none')).toBeNull();
    await registry().saveRunSet('expected#run-2', ['a', 'b'], '2026-11-20T03:10:00.000Z');
    table.get('runset#expected#run-2')!.sha256 = '0'.repeat(64);
    await expect(registry().runSet('expected#run-2')).rejects.toThrow(/do not match their digest/);
  });
});
