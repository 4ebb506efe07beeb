/**
 * {@link ClusterRegistry} in a DynamoDB table (DocumentClient): one item per management server,
 * `{ pk: 'clusters#<serverCluster>', clusters, at, ttl? }`, written by the health probe.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ClusterRegistry } from '../ports.ts';
import { awsErrorName, callAws, classifyAwsError } from './errors.ts';

/** Settings of {@link DynamoClusterRegistry}. */
export interface DynamoClusterRegistryOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** When set, items carry `ttl` (epoch seconds) this long after `at`, for the table's TTL setting. */
  ttlSeconds?: number;
}

/** The item stored per management server. */
export interface ClusterRegistryItem {
  pk: string;
  clusters: string[];
  at: string;
  ttl?: number;
}

/** The partition key of a server's item. */
export function clusterRegistryKey(serverCluster: string): string {
  return `clusters#${serverCluster}`;
}

/** Last-seen agent clusters per management server, in DynamoDB. */
export class DynamoClusterRegistry implements ClusterRegistry {
  private readonly opts: DynamoClusterRegistryOptions;
  constructor(opts: DynamoClusterRegistryOptions) {
    this.opts = opts;
  }

  async lastSeen(serverCluster: string): Promise<{ clusters: string[]; at: string } | null> {
    const out = await callAws('dynamodb:GetItem', () =>
      this.opts.client.send(
        new GetCommand({
          TableName: this.opts.tableName,
          Key: { pk: clusterRegistryKey(serverCluster) },
          ConsistentRead: true,
        }),
      ),
    );
    const item = out.Item as Partial<ClusterRegistryItem> | undefined;
    if (!item || !Array.isArray(item.clusters) || typeof item.at !== 'string') return null;
    return { clusters: item.clusters.filter((c): c is string => typeof c === 'string'), at: item.at };
  }

  async record(serverCluster: string, clusters: string[], at: string): Promise<void> {
    const item: ClusterRegistryItem = {
      pk: clusterRegistryKey(serverCluster),
      clusters: [...clusters].sort(),
      at,
    };
    if (this.opts.ttlSeconds !== undefined)
      item.ttl = Math.floor(Date.parse(at) / 1000) + this.opts.ttlSeconds;
    try {
      await this.opts.client.send(
        new PutCommand({
          TableName: this.opts.tableName,
          Item: item,
          // Probes may finish out of order: never replace a newer observation with an older one.
          ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (e) {
      if (awsErrorName(e) === 'ConditionalCheckFailedException') return;
      throw classifyAwsError(e, 'dynamodb:PutItem');
    }
  }
}
