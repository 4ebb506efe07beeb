/**
 * Fencing a stale primary. After an unplanned promotion the old primary's Redis may come back as a
 * second writable member whose copy of the lock still names the old server, which would then
 * write beside the new one. The live member is the one holding the higher fencing epoch; every
 * other writable member gets the live holder and epoch written into its lock, so the old server
 * turns passive and refuses writes. It is deliberately NOT demoted or resynced here: rejoining
 * discards whatever the island holds, which an operator may want to look at first; the runbook's
 * resync stays a deliberate step (failback refuses until it is done).
 * With self-managed Redis the data layer fences first: an old primary with no replica refuses
 * writes (`min-replicas-to-write`); this pass still writes the live holder into its lock (through
 * that fence, atomically) so its server turns passive, and re-protects a primary whose replica is
 * back. Run by the health probe on every sample (AWS) and by the sandbox's probe loop; safe to run
 * any time: with one writable member and every primary protected it changes nothing.
 */
import { liveMember } from './observe.ts';
import type { RedisState } from './ports.ts';
import type { Region, Topology } from './topology.ts';
import type { Ports } from './wiring.ts';

/** What a fencing pass found and did. */
export interface FenceResult {
  fenced: { region: Region; from: string; detail: string }[];
  live: Region | null;
  detail: string;
  /** Primaries whose data-layer fencing (`min-replicas-to-write`) was restored this pass. */
  protected?: Region[];
  /** The Redis roles this pass read (after its re-protect), when it read them (redis-key lock only). */
  redis?: RedisState;
}

/**
 * One pass: re-protect primaries that have a replica again (self-managed Redis), find writable
 * members, keep the highest epoch, fence the others.
 */
export async function fenceStalePrimaries(
  t: Topology,
  ports: Pick<Ports, 'promoter' | 'lock'>,
): Promise<FenceResult> {
  // A failed re-protect (e.g. CONFIG not allowed) must not stop the lock fencing below.
  let reprotected: Region[] = [];
  let note = '';
  try {
    reprotected = (await ports.promoter.protect?.())?.protected ?? [];
  } catch (e) {
    note = `; re-protecting the primary failed: ${(e as Error).message}`;
  }
  const result = await fenceLocks(t, ports);
  return {
    ...result,
    detail: result.detail + note,
    ...(reprotected.length ? { protected: reprotected } : {}),
  };
}

async function fenceLocks(t: Topology, ports: Pick<Ports, 'promoter' | 'lock'>): Promise<FenceResult> {
  // Fencing writes the lock: only the redis-key adapter has one we can write (write-to-all has no
  // lock; meshctl's key is Gloo's own). docs/modes.md says what protects those.
  if (t.lock.adapter !== 'redis-key')
    return { fenced: [], live: null, detail: `lock adapter ${t.lock.adapter}: no lock to fence with` };
  const redis = await ports.promoter.describe();
  return { ...(await fenceAmong(t, ports, redis)), redis };
}

/** Fences the writable members of `redis` whose lock does not name the live holder. */
async function fenceAmong(t: Topology, ports: Pick<Ports, 'lock'>, redis: RedisState): Promise<FenceResult> {
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
  const live = liveMember(t, locks);
  if (!live?.lock?.holder)
    return {
      fenced: [],
      live: null,
      detail:
        'two writable members and no single live one (lock holder in its own region, then epoch): not deciding alone',
    };
  // Stale: every other writable member whose lock does not already name the live holder at its epoch.
  const readable = locks.filter(
    (l): l is (typeof locks)[number] & { lock: NonNullable<(typeof locks)[number]['lock']> } =>
      l !== live &&
      l.lock !== null &&
      (l.lock.holder !== live.lock!.holder || l.lock.epoch < live.lock!.epoch),
  );
  const fenced: FenceResult['fenced'] = [];
  for (const stale of readable) {
    const h = await ports.lock(stale.region);
    try {
      const r = await h.lock.switch({
        expectedHolder: stale.lock!.holder,
        newHolder: live.lock.holder,
        force: true,
        minEpoch: live.lock.epoch - 1,
        // An old primary that refuses writes (no replica: min-replicas-to-write) still gets the lock.
        throughReplicaFence: true,
      });
      fenced.push({
        region: stale.region,
        from: `${stale.lock!.holder ?? 'nobody'}@${stale.lock!.epoch}`,
        detail: `lock set to ${live.lock.holder}@${r.epoch}`,
      });
    } finally {
      await h.close();
    }
  }
  return {
    fenced,
    live: live.region,
    detail: `live member ${live.region} (${live.lock.holder}@${live.lock.epoch})`,
  };
}
