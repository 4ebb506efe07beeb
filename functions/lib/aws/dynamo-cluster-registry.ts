/**
 * {@link ClusterRegistry} in a DynamoDB table (DocumentClient): one item per management server,
 * `{ pk: 'clusters#<serverCluster>', clusters, at, ttl? }`, written by the health probe; and one
 * run set per run (preflight's expected agents), gzip-compressed JSON split into parts that stay
 * under DynamoDB's 400 KB item limit ("Service, account, and table quotas in Amazon DynamoDB"):
 * `runset#<key>#<i>` hold the bytes, then `runset#<key>` (written last) names the part count and
 * the digest, so a reader never sees half a set.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { digestOf } from '../expected-set.ts';
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

/** Bytes per run-set part: under the 400 KB item limit with room for the key and attributes. */
export const RUN_SET_PART_BYTES = 300_000;
/**
 * How long a run set is kept: a run lasts at most 6 h and may be redriven up to 14 days after it
 * ended (AWS Step Functions Developer Guide, "Redriving state machines"), so 15 days.
 */
export const RUN_SET_TTL_SECONDS = 15 * 24 * 3600;

/** The head item of a run set. */
interface RunSetHead {
  pk: string;
  at: string;
  count: number;
  parts: number;
  sha256: string;
  ttl: number;
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

  async saveRunSet(key: string, clusters: string[], at: string): Promise<void> {
    const sorted = [...new Set(clusters)].sort();
    const body = gzipSync(JSON.stringify(sorted));
    const parts = Math.max(1, Math.ceil(body.length / RUN_SET_PART_BYTES));
    const ttl = Math.floor(Date.parse(at) / 1000) + RUN_SET_TTL_SECONDS;
    const put = (Item: Record<string, unknown>) =>
      callAws('dynamodb:PutItem', () =>
        this.opts.client.send(new PutCommand({ TableName: this.opts.tableName, Item })),
      );
    // Parts first, the head last: a reader that finds the head finds every part. Rewriting the
    // same key (a retried preflight) writes the same bytes.
    for (let i = 0; i < parts; i++)
      await put({
        pk: `runset#${key}#${i}`,
        data: body.subarray(i * RUN_SET_PART_BYTES, (i + 1) * RUN_SET_PART_BYTES),
        ttl,
      });
    const head: RunSetHead = {
      pk: `runset#${key}`,
      at,
      count: sorted.length,
      parts,
      sha256: digestOf(sorted),
      ttl,
    };
    await put({ ...head });
  }

  async runSet(key: string): Promise<{ clusters: string[]; at: string } | null> {
    const get = (pk: string) =>
      callAws('dynamodb:GetItem', () =>
        this.opts.client.send(
          new GetCommand({ TableName: this.opts.tableName, Key: { pk }, ConsistentRead: true }),
        ),
      );
    const head = (await get(`runset#${key}`)).Item as RunSetHead | undefined;
    if (!head) return null;
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < head.parts; i++) {
      const part = (await get(`runset#${key}#${i}`)).Item as { data?: Uint8Array } | undefined;
      if (!part?.data) throw new Error(`run set ${key}: part ${i} of ${head.parts} is missing`);
      chunks.push(part.data);
    }
    const clusters = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as string[];
    if (clusters.length !== head.count || digestOf(clusters) !== head.sha256)
      throw new Error(`run set ${key}: the stored parts do not match their digest`);
    return { clusters, at: head.at };
  }
}
