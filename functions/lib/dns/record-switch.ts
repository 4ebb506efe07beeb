/**
 * {@link DnsSwitch} of the `route53-record` mode: one simple record swapped by compare-and-swap
 * through a {@link DnsPointer} (Route 53 `DELETE old + CREATE new` in one batch, or the sandbox's
 * control API). The Route 53 control plane serves this from us-east-1: preflight warns when the
 * failed region is us-east-1.
 */
import { showDnsRecord } from '../dns-record.ts';
import { DnsRecordUnexpected } from '../errors.ts';
import { clusterForRecord } from '../observe.ts';
import type { DnsPointer, DnsSelectRequest, DnsSelectResult, DnsSwitch, DnsSwitchState } from '../ports.ts';
import type { Topology } from '../topology.ts';

/** Record compare-and-swap as a {@link DnsSwitch}. */
export class RecordDnsSwitch implements DnsSwitch {
  readonly mode = 'route53-record' as const;
  private readonly t: Topology;
  private readonly pointer: DnsPointer;
  constructor(t: Topology, pointer: DnsPointer) {
    this.t = t;
    this.pointer = pointer;
  }

  async state(): Promise<DnsSwitchState> {
    const record = await this.pointer.read();
    return {
      selects: clusterForRecord(this.t, record),
      detail: `${this.t.dns.recordName} ${this.t.dns.recordType} ${showDnsRecord(record)}`,
      record,
    };
  }

  async select(req: DnsSelectRequest): Promise<DnsSelectResult> {
    const current = await this.pointer.read();
    const selects = clusterForRecord(this.t, current);
    const next = { ttl: this.t.dns.ttl, values: [this.t.dns.values[req.target]!] };
    if (selects === req.target)
      return { outcome: 'already', detail: `already ${showDnsRecord(current)}`, warnings: [] };
    if (!current || (selects !== req.source && !req.force))
      throw new DnsRecordUnexpected(
        `the record ${this.t.dns.recordName} is ${showDnsRecord(current)}, which points at neither server; pass force.dns to overwrite it`,
        { current },
      );
    const res = await this.pointer.compareAndSwap({ expected: current, next, dryRun: req.dryRun });
    return {
      outcome: res.outcome,
      detail: `${showDnsRecord(current)} -> ${showDnsRecord(next)}${res.changeId ? ` (change ${res.changeId})` : ''}`,
      warnings: [],
    };
  }
}
