import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isNamed } from '#lib/errors.ts';
import { connectRedis } from '#lib/redis/connect.ts';
import { type LockFormat, parseLockValue, RedisGlobalLock } from '#lib/redis/lock.ts';
import { type RedisProcess, startRedis } from '#local/redis-server.ts';

const format: LockFormat = {
  key: '{gloo-mesh}:global-lock',
  epochKey: '{gloo-mesh}:global-lock:epoch',
  valueFormat: '{cluster}',
};

describe('RedisGlobalLock on real Redis', () => {
  let server: RedisProcess;
  let redis: Redis;
  const extra: Redis[] = [];

  beforeAll(async () => {
    server = await startRedis();
    redis = server.client();
  });
  afterEach(async () => {
    await redis.flushall();
    for (const c of extra.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('reads an absent lock as no holder and epoch 0', async () => {
    const lock = new RedisGlobalLock(redis, format);
    expect(await lock.read()).toEqual({ holder: null, rawValue: null, epoch: 0 });
  });

  it('lets exactly one of 50 concurrent switches from the same holder win, raising the epoch by one', async () => {
    // prepare
    await redis.mset(format.key, 'mgmt-east', format.epochKey, '7');
    const clients = Array.from({ length: 50 }, () => {
      const c = connectRedis(server.endpoint);
      extra.push(c);
      return c;
    });
    await Promise.all(clients.map((c) => c.connect()));
    // act: 50 orchestrators race, half of them trying to hand the lock to a different cluster
    const results = await Promise.allSettled(
      clients.map((c, i) =>
        new RedisGlobalLock(c, format).switch({
          expectedHolder: 'mgmt-east',
          newHolder: i % 2 ? 'mgmt-west' : 'mgmt-south',
        }),
      ),
    );
    // assess
    const switched = results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'switched');
    const alreadyHeld = results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'already-held');
    const refused = results.filter((r) => r.status === 'rejected' && isNamed(r.reason, 'LockHeldByOther'));
    expect(switched).toHaveLength(1);
    expect(switched.length + alreadyHeld.length + refused.length).toBe(50);
    const state = await new RedisGlobalLock(redis, format).read();
    expect(state.epoch).toBe(8);
    expect(['mgmt-west', 'mgmt-south']).toContain(state.holder);
  });

  it('treats a replayed switch as a no-op that reports the current epoch', async () => {
    const lock = new RedisGlobalLock(redis, format);
    await redis.set(format.key, 'mgmt-east');
    const first = await lock.switch({ expectedHolder: 'mgmt-east', newHolder: 'mgmt-west' });
    const replay = await lock.switch({ expectedHolder: 'mgmt-east', newHolder: 'mgmt-west' });
    expect(first).toMatchObject({ outcome: 'switched', holder: 'mgmt-west', epoch: 1 });
    expect(replay).toMatchObject({ outcome: 'already-held', holder: 'mgmt-west', epoch: 1 });
    expect(await redis.get(format.epochKey)).toBe('1');
  });

  it('refuses a switch from a stale holder and names the real one', async () => {
    const lock = new RedisGlobalLock(redis, format);
    await redis.mset(format.key, 'mgmt-south', format.epochKey, '3');
    const err = await lock.switch({ expectedHolder: 'mgmt-east', newHolder: 'mgmt-west' }).catch((e) => e);
    expect(isNamed(err, 'LockHeldByOther')).toBe(true);
    expect(err.message).toContain('mgmt-south');
    expect(err.details).toMatchObject({ holder: 'mgmt-south', epoch: 3 });
    expect(await redis.mget(format.key, format.epochKey)).toEqual(['mgmt-south', '3']);
  });

  it('takes the lock under force but never lowers the epoch, and honours minEpoch', async () => {
    const lock = new RedisGlobalLock(redis, format);
    await redis.mset(format.key, 'mgmt-south', format.epochKey, '3');
    const forced = await lock.switch({
      expectedHolder: 'mgmt-east',
      newHolder: 'mgmt-west',
      force: true,
      minEpoch: 1,
    });
    expect(forced).toMatchObject({ outcome: 'switched', epoch: 4 });
    // after an unplanned promotion the new primary may have lost the last epoch: minEpoch keeps it rising
    await redis.mset(format.key, 'mgmt-west', format.epochKey, '2');
    const back = await lock.switch({ expectedHolder: 'mgmt-west', newHolder: 'mgmt-east', minEpoch: 4 });
    expect(back.epoch).toBe(5);
  });

  it('changes nothing in dry-run mode and reports the epoch it would set', async () => {
    const lock = new RedisGlobalLock(redis, format);
    await redis.mset(format.key, 'mgmt-east', format.epochKey, '9');
    const res = await lock.switch({ expectedHolder: 'mgmt-east', newHolder: 'mgmt-west', dryRun: true });
    expect(res).toMatchObject({ outcome: 'would-switch', epoch: 10 });
    expect(await redis.mget(format.key, format.epochKey)).toEqual(['mgmt-east', '9']);
  });

  it('uses the configured key and value format', async () => {
    const custom: LockFormat = {
      key: 'gloo:active',
      epochKey: 'gloo:active:fence',
      valueFormat: 'cluster={cluster};v=1',
    };
    const lock = new RedisGlobalLock(redis, custom);
    await redis.set('gloo:active', 'cluster=mgmt-east;v=1');
    expect((await lock.read()).holder).toBe('mgmt-east');
    await lock.switch({ expectedHolder: 'mgmt-east', newHolder: 'mgmt-west' });
    expect(await redis.get('gloo:active')).toBe('cluster=mgmt-west;v=1');
    expect(parseLockValue(custom, 'something-else')).toBeNull();
  });
});
