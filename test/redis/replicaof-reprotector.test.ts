/**
 * REPLICAOF re-protection on real Redis. The ugly case: the member executes `REPLICAOF` but its
 * reply never comes back (a lost response). REPLICAOF discards the member's own data at once
 * (Redis docs, "REPLICAOF": "the server will ... discard the dataset"), so the step must still
 * report what it discarded: a retry would find the member following the survivor and could no
 * longer tell.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicaOfReprotector } from '#lib/redis/replicaof-reprotector.ts';
import { type RedisProcess, startRedis } from '#local/redis-server.ts';
import { startTcpProxy, type TcpProxy } from '#local/tcp-proxy.ts';

describe('ReplicaOfReprotector on real Redis', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((s) => s()));
  });

  async function world(): Promise<{ survivor: RedisProcess; island: RedisProcess; proxy: TcpProxy }> {
    const survivor = await startRedis();
    const island = await startRedis();
    const proxy = await startTcpProxy(island.endpoint);
    stops.push(
      () => survivor.stop(),
      () => island.stop(),
      () => proxy.close(),
    );
    const c = island.client();
    await c.set('island-key', '1');
    c.disconnect();
    return { survivor, island, proxy };
  }

  const reprotector = (survivor: RedisProcess, recovered: string) =>
    new ReplicaOfReprotector({
      members: { 'us-west-2': survivor.endpoint, 'us-east-1': recovered },
      maxLagBytes: 1_048_576,
      ownKeys: [],
      connectTimeoutMs: 300,
      commandTimeoutMs: 300,
    });

  const request = {
    survivorRegion: 'us-west-2',
    recoveredRegion: 'us-east-1',
    generation: 2,
    oldMember: 'delete',
    dryRun: false,
    executionId: 'x',
  } as const;

  it('reports the keys REPLICAOF discarded although its reply was lost', async () => {
    // prepare: the reply to REPLICAOF is held back; it comes through only after the client gave up
    const { survivor, island, proxy } = await world();
    proxy.pauseDownstreamOn('REPLICAOF');
    setTimeout(() => proxy.resume(), 600);
    // act
    const st = await reprotector(survivor, proxy.endpoint).advance(request);
    // assess: it ran (the island follows the survivor) and the report says what it discarded
    const info = await island.client().info('replication');
    expect(info).toMatch(/role:slave/);
    expect(st).toMatchObject({
      state: 'in-progress',
      phase: 'add-secondary',
      removed: '1 key(s) the member in us-east-1 held on its own (discarded by REPLICAOF)',
    });
  });

  it('refuses to discard the island with oldMember keep, and changes nothing', async () => {
    const { survivor, island } = await world();
    await expect(
      reprotector(survivor, island.endpoint).advance({ ...request, oldMember: 'keep' }),
    ).rejects.toThrow(/holds 1 key\(s\) of its own/);
    expect(await island.client().get('island-key')).toBe('1');
  });
});
