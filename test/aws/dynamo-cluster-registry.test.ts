import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoClusterRegistry } from '#lib/aws/dynamo-cluster-registry.ts';
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
});
