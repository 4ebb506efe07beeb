import { afterEach, describe, expect, it } from 'vitest';
import { isNamed } from '#lib/errors.ts';
import { parseInfo } from '#lib/redis/connect.ts';
import { ReplicaOfPromoter } from '#lib/redis/replicaof-promoter.ts';
import { startRedis, startReplicatedPair, waitReplicating } from '#local/redis-server.ts';
import { startTcpProxy } from '#local/tcp-proxy.ts';

type Pair = Awaited<ReturnType<typeof startReplicatedPair>>;

function promoterFor(pair: Pair, maxLagBytes = 1_048_576) {
  return new ReplicaOfPromoter({
    members: { 'us-east-1': pair.primary.endpoint, 'us-west-2': pair.replica.endpoint },
    maxLagBytes,
    connectTimeoutMs: 300,
    commandTimeoutMs: 500,
  });
}

describe('ReplicaOfPromoter on real Redis', () => {
  let pair: Pair | undefined;
  afterEach(async () => {
    await pair?.stop();
    pair = undefined;
  });

  it('describes which member is primary and that the replica is in sync', async () => {
    pair = await startReplicatedPair();
    const state = await promoterFor(pair).describe();
    expect(state.primaryRegion).toBe('us-east-1');
    expect(state.members.find((m) => m.region === 'us-west-2')).toMatchObject({
      role: 'replica',
      reachable: true,
      inSync: true,
    });
  });

  it('promotes in a planned way: every key written before is on the new primary, the old one follows it', async () => {
    // prepare: 2,000 acknowledged writes, some issued right up to the switch
    pair = await startReplicatedPair();
    const w = pair.primary.client();
    const pipeline = w.pipeline();
    for (let i = 0; i < 2_000; i++) pipeline.set(`snapshot:${i}`, `v${i}`);
    await pipeline.exec();
    w.disconnect();
    // act
    const status = await promoterFor(pair).promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    // assess
    expect(status).toMatchObject({ state: 'complete', mode: 'planned' });
    const r = pair.replica.client();
    const values = await r.mget(Array.from({ length: 2_000 }, (_, i) => `snapshot:${i}`));
    expect(values.every((v, i) => v === `v${i}`)).toBe(true);
    const o = pair.primary.client();
    const oldInfo = parseInfo(await o.info('replication'));
    expect(oldInfo.role).toBe('slave');
    expect(Number(oldInfo.master_port)).toBe(pair.replica.port);
    await expect(o.set('x', '1')).rejects.toThrow(/READONLY/);
    r.disconnect();
    o.disconnect();
  });

  it('is a no-op when the target is already primary', async () => {
    pair = await startReplicatedPair();
    const p = promoterFor(pair);
    await p.promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false });
    const again = await p.promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false });
    expect(again.state).toBe('noop');
  });

  it('changes nothing in dry-run mode', async () => {
    pair = await startReplicatedPair();
    const res = await promoterFor(pair).promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: true,
    });
    expect(res).toMatchObject({ state: 'would-promote', mode: 'planned' });
    expect((await promoterFor(pair).describe()).primaryRegion).toBe('us-east-1');
  });

  it('refuses a planned promotion when the replica lags beyond the bound, changing nothing', async () => {
    // prepare: the replica reaches its primary through a proxy that holds back the replication stream
    const primary = await startRedis();
    const proxy = await startTcpProxy(primary.endpoint);
    const replica = await startRedis({ replicaOf: proxy.endpoint });
    pair = {
      primary,
      replica,
      stop: async () => {
        await proxy.close();
        await Promise.all([primary.stop(), replica.stop()]);
      },
    };
    await waitReplicating(replica);
    proxy.pauseDownstream();
    const w = primary.client();
    await w.set('big', 'x'.repeat(200_000));
    w.disconnect();
    const promoter = new ReplicaOfPromoter({
      members: { 'us-east-1': primary.endpoint, 'us-west-2': replica.endpoint },
      maxLagBytes: 10_000,
    });
    // act
    const err = await promoter
      .promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false })
      .catch((e) => e);
    // assess
    expect(isNamed(err, 'TargetNotReady')).toBe(true);
    expect(err.details.lagBytes).toBeGreaterThan(200_000);
    expect((await promoter.describe()).primaryRegion).toBe('us-east-1');
    proxy.resume();
  });

  it('promotes unplanned when the primary is dead and reports possible data loss', async () => {
    pair = await startReplicatedPair();
    await pair.primary.kill();
    const status = await promoterFor(pair).promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    expect(status).toMatchObject({ state: 'complete', mode: 'unplanned' });
    expect(status.possibleDataLoss?.detail).toMatch(/unreachable/);
    const r = pair.replica.client();
    expect(await r.set('after', '1')).toBe('OK');
    r.disconnect();
  });

  it('promotes unplanned when the primary is frozen (connections hang)', async () => {
    pair = await startReplicatedPair();
    pair.primary.freeze();
    const status = await promoterFor(pair).promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    pair.primary.thaw();
    expect(status).toMatchObject({ state: 'complete', mode: 'unplanned' });
  });

  it('fences the old primary when it comes back as a second primary', async () => {
    pair = await startReplicatedPair();
    await pair.primary.kill();
    const p = promoterFor(pair);
    await p.promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false });
    await pair.primary.restart(); // comes back standalone and writable
    expect((await p.describe()).groupStatus).toBe('split');
    const again = await p.promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false });
    expect(again.state).toBe('noop');
    const o = pair.primary.client();
    expect(parseInfo(await o.info('replication')).role).toBe('slave');
    o.disconnect();
  });
});
