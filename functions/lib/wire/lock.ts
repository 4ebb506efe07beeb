/**
 * The lock ports. `redis-key`: a Redis compare-and-set lock on a region's member (ioredis).
 * write-to-all: a read of the key an earlier write-to-one setup's redis-key lock used (preflight
 * warns when it is still there).
 */
import { connectRedis, withRedis } from '../redis/connect.ts';
import { RedisGlobalLock } from '../redis/lock.ts';
import { lockSettings, type Topology } from '../topology.ts';
import type { Ports } from '../wiring.ts';
import { type RedisWiring, redisEndpointNow, redisEndpointOptions } from './redis.ts';

/** Opens the lock on a region's member; the handle's `close` drops the connection. */
export function redisLockPort(t: Topology, w: RedisWiring = {}): Ports['lock'] {
  const options = redisEndpointOptions(t, w);
  const format = lockSettings(t);
  return async (region) => {
    if (!format) throw new Error(`lock.adapter is "${t.lock.adapter}": there is no redis-key lock to open`);
    const client = connectRedis(await redisEndpointNow(t, region, w), await options());
    client.on('error', () => {});
    await client.connect();
    return {
      lock: new RedisGlobalLock(client, format),
      close: async () => void client.disconnect(),
    };
  };
}

/** The key a redis-key lock uses by default: what an earlier write-to-one setup may have left. */
export const LEFTOVER_LOCK_KEY = '{gloo-mesh}:global-lock';

/** write-to-all only: reads the leftover lock key on a region's member (undefined in write-to-one). */
export function leftoverLockPort(t: Topology, w: RedisWiring = {}): Ports['leftoverLock'] {
  if (t.configMode !== 'write-to-all') return undefined;
  const options = redisEndpointOptions(t, w);
  return async (region) => {
    const value = await withRedis(await redisEndpointNow(t, region, w), await options(), (c) =>
      c.get(LEFTOVER_LOCK_KEY),
    );
    return value === null ? null : { key: LEFTOVER_LOCK_KEY, value };
  };
}
