/** In-memory {@link ApprovalStore}: the sandbox's token table, with the DynamoDB adapter's semantics. */
import { type Clock, systemClock } from '../clock.ts';
import type { ApprovalRecord, ApprovalStore, DecideResult, Decision, DecisionBy } from './ports.ts';

/** A token table kept in process memory (sandbox and tests). */
export class InMemoryApprovalStore implements ApprovalStore {
  private readonly records = new Map<string, ApprovalRecord>();
  private readonly seenKeys = new Map<string, number>();
  private readonly clock: Clock;

  constructor(opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  async put(record: ApprovalRecord): Promise<void> {
    if (this.records.has(record.approvalId)) throw new Error(`approval ${record.approvalId} already exists`);
    this.records.set(record.approvalId, structuredClone(record));
  }

  async attachMessage(approvalId: string, channel: string, messageTs: string): Promise<void> {
    const r = this.records.get(approvalId);
    if (!r) throw new Error(`unknown approval ${approvalId}`);
    r.channel = channel;
    r.messageTs = messageTs;
  }

  async get(approvalId: string): Promise<ApprovalRecord | null> {
    const r = this.records.get(approvalId);
    return r ? structuredClone(r) : null;
  }

  async findByGate(executionId: string, gate: ApprovalRecord['gate']): Promise<ApprovalRecord | null> {
    let latest: ApprovalRecord | undefined;
    for (const r of this.records.values())
      if (r.executionId === executionId && r.gate === gate && (!latest || r.createdAt >= latest.createdAt))
        latest = r;
    return latest ? structuredClone(latest) : null;
  }

  async decide(approvalId: string, decision: Decision, by: DecisionBy): Promise<DecideResult | null> {
    const r = this.records.get(approvalId);
    if (!r) return null;
    if (r.status !== 'pending') return { applied: false, record: structuredClone(r) };
    r.status = decision;
    r.decidedBy = by.by;
    r.decidedByName = by.byName;
    r.decidedAt = by.at;
    if (by.reason !== undefined) r.reason = by.reason;
    return { applied: true, record: structuredClone(r) };
  }

  async reopen(approvalId: string, decidedBy: string): Promise<boolean> {
    const r = this.records.get(approvalId);
    if (!r || (r.status !== 'approved' && r.status !== 'rejected') || r.decidedBy !== decidedBy) return false;
    r.status = 'pending';
    delete r.decidedBy;
    delete r.decidedByName;
    delete r.decidedAt;
    delete r.reason;
    return true;
  }

  async seen(dedupeKey: string, expiresAt: number): Promise<boolean> {
    const until = this.seenKeys.get(dedupeKey);
    if (until !== undefined && until * 1000 > this.clock.now()) return true;
    this.seenKeys.set(dedupeKey, expiresAt);
    return false;
  }

  /** Every stored approval (copies), for tests and the drill's timeline. */
  all(): ApprovalRecord[] {
    return [...this.records.values()].map((r) => structuredClone(r));
  }
}
