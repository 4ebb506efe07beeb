/**
 * Read-only observations shared by preflight and report: where the lock, the Redis primary and the
 * DNS record stand. Every read tolerates failure (a region may be down) and says where it read from.
 */
import type { DnsRecord, RedisState } from './ports.ts';
import type { Region, Topology } from './topology.ts';
import type { Ports } from './wiring.ts';

/** The ports {@link observe} reads. */
export type ObservePorts = Pick<Ports, 'promoter' | 'dnsSwitch' | 'dnsAnswers' | 'lock'>;

/** The world as one read sees it. */
export interface Observed {
  redis: RedisState | null;
  redisError?: string;
  lock: { holder: string | null; epoch: number; readFrom: string } | null;
  lockError?: string;
  dns: DnsRecord | null;
  dnsError?: string;
  /** Which server the DNS switch selects (or, when it cannot be read, the data plane answers). */
  dnsPointsTo: string | null;
  /** Which server the DNS data plane answers now (null: disagreement or unknown; undefined: not read). */
  dnsAnswered?: string | null;
  /** What the switch's state read said. */
  dnsSwitch?: string;
}

/** The cluster a record value set points at (exactly one value, known to the topology). */
export function clusterForRecord(t: Topology, rec: Pick<DnsRecord, 'values'> | null): string | null {
  if (rec?.values.length !== 1) return null;
  const v = normaliseRecordValue(rec.values[0]!);
  for (const [cluster, value] of Object.entries(t.dns.values))
    if (normaliseRecordValue(value) === v) return cluster;
  return null;
}

/** DNS values compare case-insensitively and without a trailing dot. */
export function normaliseRecordValue(v: string): string {
  return v.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Reads lock, Redis roles and DNS. The lock is read from the Redis primary when it answers, else
 * from `fallbackRegion`'s member (a replica holds a copy).
 */
export async function observe(t: Topology, ports: ObservePorts, fallbackRegion: Region): Promise<Observed> {
  const out: Observed = { redis: null, lock: null, dns: null, dnsPointsTo: null };
  const [redis, sw, answers] = await Promise.allSettled([
    ports.promoter.describe(),
    ports.dnsSwitch.state(),
    ports.dnsAnswers.resolve(),
  ]);
  if (redis.status === 'fulfilled') out.redis = redis.value;
  else out.redisError = (redis.reason as Error).message;
  // Where DNS points: the switch's own state; when it cannot be read (e.g. the Route 53 control
  // plane is down), what the data plane answers.
  const answered = answers.status === 'fulfilled' ? answers.value : null;
  const first = answered?.answers.find((a) => !a.error && a.values.length > 0);
  out.dnsAnswered = answered ? answered.pointsTo : undefined;
  out.dnsSwitch = sw.status === 'fulfilled' ? sw.value.detail : undefined;
  if (sw.status === 'fulfilled') {
    out.dns = sw.value.record ?? (first ? { ttl: first.ttl ?? t.dns.ttl, values: first.values } : null);
    out.dnsPointsTo = sw.value.selects;
  } else {
    out.dnsError = `${ports.dnsSwitch.mode}: ${(sw.reason as Error).message}`;
    if (first) {
      out.dns = { ttl: first.ttl ?? t.dns.ttl, values: first.values };
      out.dnsPointsTo = answered?.pointsTo ?? null;
    }
  }

  // Two writable members (an old primary back after an unplanned promotion): see liveMember.
  if (
    t.lock.adapter === 'redis-key' &&
    out.redis &&
    out.redis.primaryRegion === null &&
    out.redis.groupStatus === 'split'
  ) {
    const primaries = out.redis.members.filter((m) => m.role === 'primary').map((m) => m.region);
    const locks = await Promise.all(
      primaries.map(async (region) => ({ region, lock: await readLock(ports, region).catch(() => null) })),
    );
    const best = liveMember(t, locks);
    if (best) out.redis = { ...out.redis, primaryRegion: best.region };
  }

  // Only the redis-key adapter has a lock we can read: write-to-all has none, and meshctl's
  // key is Gloo's own (not public; see calibrate).
  if (t.lock.adapter !== 'redis-key') return out;
  const candidates = [out.redis?.primaryRegion, fallbackRegion].filter(
    (r, i, a): r is Region => !!r && a.indexOf(r) === i,
  );
  const errors: string[] = [];
  for (const region of candidates) {
    try {
      const s = await readLock(ports, region);
      out.lock = { holder: s.holder, epoch: s.epoch, readFrom: region };
      break;
    } catch (e) {
      errors.push(`${region}: ${(e as Error).message}`);
    }
  }
  if (!out.lock) out.lockError = errors.join('; ') || 'no Redis member to read from';
  return out;
}

async function readLock(ports: Pick<Ports, 'lock'>, region: Region) {
  const h = await ports.lock(region);
  try {
    return await h.lock.read();
  } finally {
    await h.close();
  }
}

/** A writable member and the lock it holds (null when unreadable). */
export interface MemberLock {
  region: Region;
  lock: { holder: string | null; epoch: number } | null;
}

/**
 * Which of several writable members is the live one: the member whose lock names the cluster of its
 * own region (a fenced island's lock names the other region's cluster), then the higher fencing
 * epoch. Null when that does not single one out: then nobody should decide alone.
 */
export function liveMember<M extends MemberLock>(t: Topology, members: M[]): M | null {
  const score = (m: M) => {
    const own = t.servers.find((s) => s.region === m.region)?.id;
    return [m.lock && m.lock.holder === own ? 1 : 0, m.lock?.epoch ?? -1] as const;
  };
  const ranked = members
    .filter((m) => m.lock?.holder)
    .sort((a, b) => {
      const [sa, sb] = [score(a), score(b)];
      return sb[0] - sa[0] || sb[1] - sa[1];
    });
  const [first, second] = ranked;
  if (!first) return null;
  if (second) {
    const [f, s] = [score(first), score(second)];
    if (f[0] === s[0] && f[1] === s[1]) return null;
  }
  return first;
}
