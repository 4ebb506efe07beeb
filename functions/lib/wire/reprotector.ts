/**
 * The re-protection port the topology selects: ElastiCache (a new global datastore from the
 * survivor plus a new secondary) or self-managed Redis (`REPLICAOF` onto the recovered member).
 */
import { elastiCacheClientFor, elastiCacheWriteClientFor } from '../aws/clients/elasticache.ts';
import { ElastiCacheReprotector } from '../aws/elasticache-reprotector.ts';
import { WRITE_PROBE_KEY } from '../redis/replicaof-promoter.ts';
import { ReplicaOfReprotector } from '../redis/replicaof-reprotector.ts';
import { lockSettings, type Topology } from '../topology.ts';
import type { Ports } from '../wiring.ts';
import { elastiCacheRef } from './promoter.ts';
import { datastoreRecord, type RedisWiring, redisEndpointOptions, redisEndpoints } from './redis.ts';

/** The reprotector of the topology's Redis. */
export function redisReprotectorPort(t: Topology, w: RedisWiring = {}): NonNullable<Ports['reprotector']> {
  const r = t.redis;
  const options = redisEndpointOptions(t, w);
  if (r.kind === 'replicaof') {
    const members = redisEndpoints(t);
    const lock = lockSettings(t);
    let made: Promise<ReplicaOfReprotector> | undefined;
    return {
      advance: async (req) => {
        made ??= options().then(
          (o) =>
            new ReplicaOfReprotector({
              members,
              maxLagBytes: r.maxLagBytes,
              ownKeys: [...(lock ? [lock.key, lock.epochKey] : []), WRITE_PROBE_KEY],
              ...o,
            }),
        );
        return (await made).advance(req);
      },
    };
  }
  return new ElastiCacheReprotector({
    datastore: async () =>
      elastiCacheRef(await datastoreRecord(t, w)(), r.members) ?? {
        globalReplicationGroupId: r.globalReplicationGroupId,
        members: r.members,
      },
    staticMembers: r.members,
    suffixStem: t.name,
    clientFor: elastiCacheClientFor,
    writeClientFor: elastiCacheWriteClientFor,
  });
}
