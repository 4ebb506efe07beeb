/**
 * The Redis promotion port the topology selects: an ElastiCache Global Datastore (SDK v3, with a
 * write probe over ioredis) or self-managed members promoted with `REPLICAOF` (ioredis).
 */
import { elastiCacheClientFor, elastiCacheWriteClientFor } from '../aws/clients/elasticache.ts';
import { type DatastoreRef, ElastiCacheGlobalPromoter } from '../aws/elasticache-promoter.ts';
import type { Clock } from '../clock.ts';
import type { DatastoreRecord } from '../ports.ts';
import { withRedis } from '../redis/connect.ts';
import { ReplicaOfPromoter, WRITE_PROBE_KEY } from '../redis/replicaof-promoter.ts';
import type { Region, Topology } from '../topology.ts';
import type { Ports } from '../wiring.ts';
import {
  datastoreRecord,
  type RedisWiring,
  redisEndpointNow,
  redisEndpointOptions,
  redisEndpoints,
} from './redis.ts';

/** The promoter of the topology's Redis. */
export function redisPromoterPort(t: Topology, clock: Clock, w: RedisWiring = {}): Ports['promoter'] {
  const r = t.redis;
  const options = redisEndpointOptions(t, w);
  if (r.kind === 'replicaof') {
    const members = redisEndpoints(t);
    return lazyPromoter(
      async () =>
        new ReplicaOfPromoter(
          {
            members,
            maxLagBytes: r.maxLagBytes,
            minReplicasToWrite: r.minReplicasToWrite,
            minReplicasMaxLagSeconds: r.minReplicasMaxLagSeconds,
            ...(await options()),
          },
          clock,
        ),
    );
  }
  return new ElastiCacheGlobalPromoter({
    globalReplicationGroupId: r.globalReplicationGroupId,
    members: r.members,
    clientFor: elastiCacheClientFor,
    writeClientFor: elastiCacheWriteClientFor,
    registry: async () => elastiCacheRef(await datastoreRecord(t, w)(), r.members),
    writeProbe: async (region) => {
      await withRedis(await redisEndpointNow(t, region, w), await options(), (c) =>
        c.set(WRITE_PROBE_KEY, String(clock.now()), 'PX', 60_000),
      );
    },
  });
}

/** A promoter whose construction waits for async settings (Redis AUTH). */
function lazyPromoter(make: () => Promise<ReplicaOfPromoter>): Ports['promoter'] {
  let p: Promise<ReplicaOfPromoter> | undefined;
  const get = () => {
    p ??= make();
    return p;
  };
  return {
    describe: async () => (await get()).describe(),
    promote: async (req) => (await get()).promote(req),
    status: async (req) => (await get()).status(req),
    protect: async () => (await get()).protect(),
  };
}

/** The ElastiCache datastore a record names (member ids fall back to the static ones), or null. */
export function elastiCacheRef(
  rec: DatastoreRecord | null,
  members: Partial<Record<Region, { replicationGroupId: string; endpoint: string }>>,
): DatastoreRef | null {
  if (!rec?.globalReplicationGroupId) return null;
  const out: DatastoreRef['members'] = {};
  for (const [region, m] of Object.entries(members) as [
    Region,
    { replicationGroupId: string; endpoint: string },
  ][]) {
    const r = rec.members[region];
    out[region] = {
      replicationGroupId: r?.replicationGroupId ?? m.replicationGroupId,
      endpoint: r?.endpoint ?? m.endpoint,
    };
  }
  return { globalReplicationGroupId: rec.globalReplicationGroupId, members: out };
}
