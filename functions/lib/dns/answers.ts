/**
 * {@link DnsAnswers} over real DNS queries: the relay name asked directly of the zone's authoritative
 * name servers (Route 53's data plane, global: no API call, nothing in us-east-1), then of any
 * configured resolvers (e.g. the VPC resolver). This is how a switch is confirmed, whatever the mode:
 * not by `GetChange`, which is a control-plane call.
 *
 * Which server an answer means: an address answer is compared with `dns.values` (addresses), or
 * with the addresses the value's name resolves to (an alias to a load balancer is answered with the
 * load balancer's addresses); a CNAME answer with the value's name. `pointsTo` is set only when every
 * answering server agrees.
 */
import { Resolver } from 'node:dns/promises';
import { normaliseDnsName } from '../dns-record.ts';
import type { DnsAnswer, DnsAnswers, DnsObservation } from '../ports.ts';
import type { Topology } from '../topology.ts';

/** Settings of {@link ResolvedDnsAnswers}. */
export interface ResolvedDnsAnswersOptions {
  recordName: string;
  recordType: 'A' | 'AAAA' | 'CNAME';
  /** Record value by server id (`dns.values`). */
  values: Record<string, string>;
  /** Authoritative name servers (names or addresses, optional `:port`); absent -> found by NS lookups. */
  nameServers?: string[];
  /** Further resolvers (`ip` or `ip:port`). */
  resolvers?: string[];
  timeoutMs?: number;
  /** Resolver for names (NS discovery, name-server addresses, alias targets); default: the system's. */
  system?: Resolver;
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|\[?[0-9a-fA-F:]+\]?)(:\d+)?$/;

/** The options of {@link ResolvedDnsAnswers} from a topology. */
export function answersOptionsFrom(t: Topology): ResolvedDnsAnswersOptions {
  return {
    recordName: t.dns.recordName,
    recordType: t.dns.recordType,
    values: t.dns.values,
    nameServers: t.dns.confirm.nameServers,
    resolvers: t.dns.confirm.resolvers,
    timeoutMs: t.dns.confirm.timeoutMs,
  };
}

/** Data-plane DNS answers for the relay name. */
export class ResolvedDnsAnswers implements DnsAnswers {
  private readonly o: ResolvedDnsAnswersOptions;
  private readonly system: Resolver;
  private servers: { label: string; addr: string }[] | undefined;
  constructor(o: ResolvedDnsAnswersOptions) {
    this.o = o;
    this.system = o.system ?? new Resolver({ timeout: o.timeoutMs ?? 2_000, tries: 2 });
  }

  private resolverFor(addr: string): Resolver {
    const r = new Resolver({ timeout: this.o.timeoutMs ?? 2_000, tries: 2 });
    r.setServers([addr]);
    return r;
  }

  /** The authoritative servers to ask: configured, else the NS of the closest enclosing zone. */
  private async authoritative(): Promise<{ label: string; addr: string }[]> {
    if (this.servers) return this.servers;
    let names = this.o.nameServers;
    if (!names) {
      const labels = normaliseDnsName(this.o.recordName).split('.');
      for (let i = 1; i < labels.length - 1 && !names; i++) {
        try {
          const ns = await this.system.resolveNs(labels.slice(i).join('.'));
          if (ns.length) names = ns;
        } catch {
          // not a zone apex: go up one label
        }
      }
      if (!names) throw new Error(`no NS records found above ${this.o.recordName}`);
    }
    const out: { label: string; addr: string }[] = [];
    for (const n of names) {
      if (IP.test(n)) {
        out.push({ label: n, addr: n });
        continue;
      }
      try {
        for (const a of await this.system.resolve4(n)) out.push({ label: `${n} (${a})`, addr: a });
      } catch (e) {
        out.push({ label: n, addr: '' });
        void e;
      }
    }
    this.servers = out;
    return out;
  }

  private async ask(from: string, r: Resolver): Promise<DnsAnswer> {
    const name = normaliseDnsName(this.o.recordName);
    try {
      if (this.o.recordType === 'CNAME') return { from, values: await r.resolveCname(name), ttl: null };
      const recs =
        this.o.recordType === 'A'
          ? await r.resolve4(name, { ttl: true })
          : await r.resolve6(name, { ttl: true });
      return { from, values: recs.map((x) => x.address), ttl: recs[0]?.ttl ?? null };
    } catch (e) {
      return {
        from,
        values: [],
        ttl: null,
        error: (e as NodeJS.ErrnoException).code ?? (e as Error).message,
      };
    }
  }

  /** The addresses (or name) each server's value stands for. */
  private async expected(): Promise<Record<string, Set<string>>> {
    const out: Record<string, Set<string>> = {};
    for (const [server, v] of Object.entries(this.o.values)) {
      const value = normaliseDnsName(v);
      if (this.o.recordType === 'CNAME' || IP.test(value)) out[server] = new Set([value]);
      else {
        try {
          const addrs =
            this.o.recordType === 'A' ? await this.system.resolve4(value) : await this.system.resolve6(value);
          out[server] = new Set(addrs.map((a) => a.toLowerCase()));
        } catch {
          out[server] = new Set();
        }
      }
    }
    return out;
  }

  async resolve(): Promise<DnsObservation> {
    const servers = await this.authoritative();
    const answers = await Promise.all([
      ...servers.map((s) =>
        s.addr
          ? this.ask(s.label, this.resolverFor(s.addr))
          : Promise.resolve({ from: s.label, values: [], ttl: null, error: 'no address' }),
      ),
      ...(this.o.resolvers ?? []).map((a) => this.ask(`resolver ${a}`, this.resolverFor(a))),
    ]);
    const expected = await this.expected();
    const unknown = new Set<string>();
    const verdicts = answers
      .filter((a) => !a.error && a.values.length > 0)
      .map((a) => {
        const vals = a.values.map((v) => normaliseDnsName(v));
        const hit = Object.entries(expected).find(([, set]) => set.size > 0 && vals.every((v) => set.has(v)));
        if (!hit) for (const v of vals) unknown.add(v);
        return hit?.[0] ?? null;
      });
    const pointsTo =
      verdicts.length > 0 && verdicts.every((v) => v !== null && v === verdicts[0]) ? verdicts[0]! : null;
    return { answers, pointsTo, unknown: [...unknown] };
  }
}
