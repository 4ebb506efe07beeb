/** The global-lock port: a Redis compare-and-set lock on a region's member (ioredis). */
import { connectRedis } from '../redis/connect.ts';
import { RedisGlobalLock } from '../redis/lock.ts';
import { lockSettings, type Topology } from '../topology.ts';
import type { Ports } from '../wiring.ts';
import { type RedisWiring, redisEndpointNow, redisEndpointOptions } from './redis.ts';

/** Opens the lock on a region's member; the handle's `close` drops the connection. */
export function redisLockPort(t: Topology, w: RedisWiring = {}): Ports['lock'] {
  const options = redisEndpointOptions(t, w);
  return async (region) => {
    const client = connectRedis(await redisEndpointNow(t, region, w), await options());
    client.on('error', () => {});
    await client.connect();
    return {
      lock: new RedisGlobalLock(client, lockSettings(t)),
      close: async () => void client.disconnect(),
    };
  };
}
