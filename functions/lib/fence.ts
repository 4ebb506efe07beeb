/**
 * Fencing a stale primary. After an unplanned promotion the old primary's Redis may come back as a
 * second writable member whose copy of the lock still names the old server, which would then
 * write beside the new one. The live member is the one holding the higher fencing epoch; every
 * other writable member gets the live holder and epoch written into its lock (the old server turns
 * passive and refuses writes) and, where the adapter can, is demoted to a replica of the live one.
 * Run by the health probe on every sample (AWS) and by the sandbox's probe loop; safe to run any
 * time: with one writable member it reads and changes nothing.
 */
import type { Region, Topology } from './topology.ts';
import type { Ports } from './wiring.ts';

/** What a fencing pass found and did. */
export interface FenceResult {
  fenced: { region: Region; from: string; detail: string }[];
  live: Region | null;
  detail: string;
}

/** One pass: find writable members, keep the highest epoch, fence the others. */
export async function fenceStalePrimaries(
  t: Topology,
  ports: Pick<Ports, 'promoter' | 'lock'>,
): Promise<FenceResult> {
  const redis = await ports.promoter.describe();
  const writable = redis.members.filter(
    (m) => m.reachable && (m.role === 'primary' || m.role === 'standalone'),
  );
  if (writable.length < 2)
    return { fenced: [], live: redis.primaryRegion, detail: 'one writable member: nothing to fence' };
  const locks = await Promise.all(
    writable.map(async (m) => {
      try {
        const h = await ports.lock(m.region);
        try {
          return { region: m.region, lock: await h.lock.read() };
        } finally {
          await h.close();
        }
      } catch {
        return { region: m.region, lock: null };
      }
    }),
  );
  const readable = locks.filter((l) => l.lock !== null).sort((a, b) => b.lock!.epoch - a.lock!.epoch);
  const live = readable[0];
  if (!live?.lock?.holder || (readable[1] && readable[1].lock!.epoch === live.lock.epoch))
    return {
      fenced: [],
      live: null,
      detail: 'two writable members and no unique highest epoch: not deciding alone',
    };
  const fenced: FenceResult['fenced'] = [];
  for (const stale of readable.slice(1)) {
    const h = await ports.lock(stale.region);
    try {
      const r = await h.lock.switch({
        expectedHolder: stale.lock!.holder,
        newHolder: live.lock.holder,
        force: true,
        minEpoch: live.lock.epoch - 1,
      });
      fenced.push({
        region: stale.region,
        from: `${stale.lock!.holder ?? 'nobody'}@${stale.lock!.epoch}`,
        detail: `lock set to ${live.lock.holder}@${r.epoch}`,
      });
    } finally {
      await h.close();
    }
    // Demote it where the adapter can (self-managed Redis): it then follows the live primary.
    if (t.redis.kind === 'replicaof')
      await ports.promoter
        .promote({ sourceRegion: stale.region, targetRegion: live.region, dryRun: false })
        .catch(() => undefined);
  }
  return {
    fenced,
    live: live.region,
    detail: `live member ${live.region} (${live.lock.holder}@${live.lock.epoch})`,
  };
}
