/**
 * Data-layer fencing of self-managed Redis, on real redis-server processes. Redis behaviour relied
 * on (Redis docs, "NOREPLICAS error" and "Redis replication: Allow writes only with N attached
 * replicas"): a primary with `min-replicas-to-write N` refuses writes with NOREPLICAS while fewer
 * than N replicas reported within `min-replicas-max-lag` seconds; a replica ignores the setting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseInfo } from '#lib/redis/connect.ts';
import { RedisGlobalLock } from '#lib/redis/lock.ts';
import { ReplicaOfPromoter } from '#lib/redis/replicaof-promoter.ts';
import { type RedisProcess, startRedis, waitReplicating } from '#local/redis-server.ts';
import { waitFor } from '../sandbox/support.ts';

const FENCED = ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '10'];
const LOCK = {
  key: '{gloo-mesh}:global-lock',
  epochKey: '{gloo-mesh}:global-lock:epoch',
  valueFormat: '{cluster}',
};

let started: RedisProcess[] = [];
afterEach(async () => {
  await Promise.all(started.map((p) => p.stop()));
  started = [];
});

async function redis(opts: Parameters<typeof startRedis>[0] = {}): Promise<RedisProcess> {
  const p = await startRedis({ ...opts, args: FENCED });
  started.push(p);
  return p;
}

/** A primary and its replica, both run with min-replicas-to-write 1, the primary accepting writes. */
async function fencedPair(): Promise<{ primary: RedisProcess; replica: RedisProcess }> {
  const primary = await redis();
  const replica = await redis({ replicaOf: primary.endpoint });
  await waitReplicating(replica);
  await waitFor('the primary to count its replica', () => writes(primary));
  return { primary, replica };
}

function promoterFor(primary: RedisProcess, replica: RedisProcess) {
  return new ReplicaOfPromoter({
    members: { 'us-east-1': primary.endpoint, 'us-west-2': replica.endpoint },
    maxLagBytes: 1 << 20,
    connectTimeoutMs: 300,
    commandTimeoutMs: 500,
  });
}

/** Whether the member accepts a write now. */
async function writes(p: RedisProcess): Promise<boolean> {
  const c = p.client();
  try {
    await c.set('probe', String(Date.now()));
    return true;
  } catch (e) {
    if (/NOREPLICAS/.test((e as Error).message)) return false;
    throw e;
  } finally {
    c.disconnect();
  }
}

async function configOf(p: RedisProcess, name: string): Promise<string> {
  const c = p.client();
  try {
    return ((await c.call('CONFIG', 'GET', name)) as string[])[1]!;
  } finally {
    c.disconnect();
  }
}

describe('data-layer fencing (min-replicas-to-write)', () => {
  it('keeps a primary writable while its replica is attached and makes it refuse writes once the replica is gone', async () => {
    // prepare
    const { primary, replica } = await fencedPair();
    // act
    await replica.kill();
    // assess: the island refuses by itself, reads still work
    await waitFor('the primary to refuse writes', async () => !(await writes(primary)));
    const c = primary.client();
    expect(await c.get('probe')).not.toBeNull();
    c.disconnect();
  });

  it('promotes unplanned with min-replicas-to-write 0 on the promoted member, which accepts writes with no replica', async () => {
    // prepare
    const { primary, replica } = await fencedPair();
    await primary.kill();
    // act
    const status = await promoterFor(primary, replica).promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    // assess
    expect(status).toMatchObject({ state: 'complete', mode: 'unplanned' });
    expect(await configOf(replica, 'min-replicas-to-write')).toBe('0');
    expect(await writes(replica)).toBe(true);
  });

  it('re-protects the promoted member once a replica is online again, and not before', async () => {
    // prepare: promoted with no replica
    const { primary, replica } = await fencedPair();
    await primary.kill();
    const promoter = promoterFor(primary, replica);
    await promoter.promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false });
    // act 1: nothing attached yet
    const early = await promoter.protect();
    // act 2: the runbook's resync: the old member comes back as a replica of the new primary
    await primary.restart({ replicaOf: replica.endpoint });
    await waitReplicating(primary);
    const later = await waitFor('the primary to be re-protected', async () => {
      const r = await promoter.protect();
      return r.protected.length ? r : undefined;
    });
    // assess
    expect(early.protected).toEqual([]);
    expect(early.detail).toContain('us-west-2: unprotected (min-replicas-to-write 0), 0 online replica(s)');
    expect(later.protected).toEqual(['us-west-2']);
    expect(await configOf(replica, 'min-replicas-to-write')).toBe('1');
    expect(await configOf(replica, 'min-replicas-max-lag')).toBe('10');
    expect(await writes(replica)).toBe(true);
    expect(await promoter.protect()).toEqual({ protected: [], detail: 'every primary protected' });
  });

  it('switches in a planned way: the new primary writes at once, the old one follows it and re-protects it', async () => {
    // prepare
    const { primary, replica } = await fencedPair();
    const promoter = promoterFor(primary, replica);
    // act
    const status = await promoter.promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    // assess
    expect(status).toMatchObject({ state: 'complete', mode: 'planned' });
    await waitReplicating(primary);
    await waitFor(
      'the new primary to be re-protected',
      async () => (await promoter.protect()).protected.length > 0,
    );
    expect(await configOf(replica, 'min-replicas-to-write')).toBe('1');
    expect(await writes(replica)).toBe(true);
    const info = parseInfo(await primary.client().info('replication'));
    expect(info.role).toBe('slave');
  });

  it('never lowers the setting itself: an old primary alone stays fenced', async () => {
    // prepare: the island
    const { primary, replica } = await fencedPair();
    await replica.kill();
    await waitFor('the island to refuse writes', async () => !(await writes(primary)));
    // act
    const r = await promoterFor(primary, replica).protect();
    // assess
    expect(r.protected).toEqual([]);
    expect(await configOf(primary, 'min-replicas-to-write')).toBe('1');
    expect(await writes(primary)).toBe(false);
  });

  it('names the live holder in an island that refuses writes only when asked to, restoring its fence in the same transaction', async () => {
    // prepare: an island whose lock names its own server
    const { primary, replica } = await fencedPair();
    const c = primary.client();
    const lock = new RedisGlobalLock(c, LOCK);
    await lock.switch({ expectedHolder: null, newHolder: 'mgmt-east' });
    await replica.kill();
    await waitFor('the island to refuse writes', async () => !(await writes(primary)));
    const fence = { expectedHolder: 'mgmt-east', newHolder: 'mgmt-west', force: true, minEpoch: 5 };
    // act + assess: a plain switch is refused by the data layer
    await expect(lock.switch(fence)).rejects.toThrow(/NOREPLICAS/);
    const res = await lock.switch({ ...fence, throughReplicaFence: true });
    // assess
    expect(res).toMatchObject({ outcome: 'switched', holder: 'mgmt-west', epoch: 6 });
    expect(await lock.read()).toMatchObject({ holder: 'mgmt-west', epoch: 6 });
    expect(await configOf(primary, 'min-replicas-to-write')).toBe('1');
    expect(await writes(primary)).toBe(false);
    c.disconnect();
  });
});
