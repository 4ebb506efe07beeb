/**
 * DynamoDB {@link ApprovalStore}. One table, string partition key `pk`, TTL attribute `expiresAt`
 * (epoch seconds). Items: `approval#<id>` (the record), `gate#<executionId>#<gate>` (pointer to the
 * latest approval of a gate) and `seen#<key>` (replay protection). Every transition is a
 * conditional write, so concurrent clicks cannot both win.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../clock.ts';
import type { ApprovalRecord, ApprovalStore, DecideResult, Decision, DecisionBy } from './ports.ts';

const approvalKey = (id: string) => `approval#${id}`;
const gateKey = (executionId: string, gate: string) => `gate#${executionId}#${gate}`;
const seenKey = (key: string) => `seen#${key}`;

function isConditionFailure(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

function toRecord(item: Record<string, unknown> | undefined): ApprovalRecord | null {
  if (!item) return null;
  const { pk: _pk, kind: _kind, ...rest } = item;
  return rest as unknown as ApprovalRecord;
}

/** The approval token table on DynamoDB. */
export class DynamoDbApprovalStore implements ApprovalStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly clock: Clock;

  constructor(client: DynamoDBClient, tableName: string, opts: { clock?: Clock } = {}) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.table = tableName;
    this.clock = opts.clock ?? systemClock;
  }

  async put(record: ApprovalRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: approvalKey(record.approvalId), kind: 'approval', ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: gateKey(record.executionId, record.gate),
          kind: 'gate',
          approvalId: record.approvalId,
          expiresAt: record.expiresAt,
        },
      }),
    );
  }

  async attachMessage(approvalId: string, channel: string, messageTs: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: approvalKey(approvalId) },
        UpdateExpression: 'SET channel = :channel, messageTs = :ts',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':channel': channel, ':ts': messageTs },
      }),
    );
  }

  async get(approvalId: string): Promise<ApprovalRecord | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: approvalKey(approvalId) }, ConsistentRead: true }),
    );
    return toRecord(out.Item);
  }

  async findByGate(executionId: string, gate: ApprovalRecord['gate']): Promise<ApprovalRecord | null> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: gateKey(executionId, gate) },
        ConsistentRead: true,
      }),
    );
    const id = out.Item?.approvalId;
    return typeof id === 'string' ? this.get(id) : null;
  }

  async decide(approvalId: string, decision: Decision, by: DecisionBy): Promise<DecideResult | null> {
    const values: Record<string, unknown> = {
      ':decision': decision,
      ':pending': 'pending',
      ':by': by.by,
      ':byName': by.byName,
      ':at': by.at,
    };
    let set = '#status = :decision, decidedBy = :by, decidedByName = :byName, decidedAt = :at';
    if (by.reason !== undefined) {
      set += ', reason = :reason';
      values[':reason'] = by.reason;
    }
    const input: UpdateCommandInput = {
      TableName: this.table,
      Key: { pk: approvalKey(approvalId) },
      UpdateExpression: `SET ${set}`,
      ConditionExpression: 'attribute_exists(pk) AND #status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    };
    try {
      const out = await this.doc.send(new UpdateCommand(input));
      const record = toRecord(out.Attributes);
      if (!record) throw new Error(`DynamoDB returned no attributes for ${approvalId}`);
      return { applied: true, record };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      // Decided before (or absent): report what is there, change nothing.
      const record = await this.get(approvalId);
      return record ? { applied: false, record } : null;
    }
  }

  async reopen(approvalId: string, decidedBy: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: approvalKey(approvalId) },
          UpdateExpression: 'SET #status = :pending REMOVE decidedBy, decidedByName, decidedAt, reason',
          ConditionExpression: '#status IN (:approved, :rejected) AND decidedBy = :by',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':approved': 'approved',
            ':rejected': 'rejected',
            ':by': decidedBy,
          },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async seen(dedupeKey: string, expiresAt: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: seenKey(dedupeKey), kind: 'seen', expiresAt },
          // TTL deletion is lazy: an item past its expiry counts as absent.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': Math.floor(this.clock.now() / 1000) },
        }),
      );
      return false;
    } catch (e) {
      if (isConditionFailure(e)) return true;
      throw e;
    }
  }
}
