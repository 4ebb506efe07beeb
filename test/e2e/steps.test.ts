import { describe, expect, it } from 'vitest';
import { confirmReconnect } from '#functions/confirm-reconnect/confirm-reconnect.ts';
import { preflight } from '#functions/preflight/preflight.ts';
import { pollPromotion, startPromotion } from '#functions/promote-redis/promote-redis.ts';
import { pollDns, repointDns } from '#functions/repoint-dns/repoint-dns.ts';
import { buildReport } from '#functions/report/report.ts';
import { switchLock } from '#functions/switch-lock/switch-lock.ts';
import { verifyOutage } from '#functions/verify-outage/verify-outage.ts';
import { RecordDnsSwitch } from '#lib/dns/record-switch.ts';
import { isNamed } from '#lib/errors.ts';
import { runSetKey } from '#lib/expected-set.ts';
import { useWorld, type World } from '#test/support/world.ts';

/** Lock, Redis primary and DNS as the world sees them now. */
async function snapshot(w: World) {
  const redis = await w.ports.promoter.describe();
  const h = await w.ports.lock(redis.primaryRegion ?? w.sb.regionNames[1]);
  const lock = await h.lock.read().finally(() => h.close());
  return {
    primary: redis.primaryRegion,
    lock: `${lock.holder}@${lock.epoch}`,
    dns: (await w.ports.dns.read())?.values.join(','),
  };
}

describe('steps on the sandbox, one at a time', () => {
  it('preflight reads the state and plans; it refuses when the target is not ready', async () => {
    const w = await useWorld();
    const run = w.run();
    const plan = await preflight(run, w.t, w.ports);
    expect(plan).toMatchObject({
      alreadyActive: false,
      redisPromoted: false,
      before: { redisPrimary: 'us-east-1', dnsPointsTo: 'mgmt-east', lock: { holder: 'mgmt-east' } },
    });
    expect(plan.expectedClusters).toMatchObject({ count: 5, storedIn: 'registry' });
    // the list itself is kept under the run's key, not in the state
    expect((await w.ports.registry.runSet(runSetKey(run.executionId)))?.clusters).toHaveLength(5);
    await w.sb.killRegion('us-west-2');
    const err = await preflight(w.run(), w.t, w.ports).catch((e) => e);
    expect(isNamed(err, 'TargetNotReady')).toBe(true);
    expect(err.message).toMatch(/mgmt-west is not healthy/);
  });

  it('moves the real state step by step in a planned failover; each mutating step run twice changes nothing the second time', async () => {
    const w = await useWorld();
    const run = w.run();
    const plan = await preflight(run, w.t, w.ports);

    const p1 = await startPromotion(run, w.ports);
    expect(p1).toMatchObject({ state: 'complete', mode: 'planned' });
    const p2 = await startPromotion(run, w.ports);
    expect(p2.state).toBe('noop');
    expect(await pollPromotion(run, p2, w.ports)).toBe(p2);

    const l1 = await switchLock(run, plan, w.t, w.ports);
    expect(l1).toMatchObject({
      outcome: 'switched',
      previousHolder: 'mgmt-east',
      holder: 'mgmt-west',
      epoch: plan.before.lock!.epoch + 1,
    });
    const l2 = await switchLock(run, plan, w.t, w.ports);
    expect(l2).toMatchObject({ outcome: 'already-held', epoch: l1.epoch });

    const d1 = await repointDns(run, w.t, w.ports);
    expect(d1).toMatchObject({
      outcome: 'changed',
      status: 'PENDING',
      before: [w.t.dns.values['mgmt-east']],
      after: [w.t.dns.values['mgmt-west']],
    });
    let d = d1;
    for (let i = 0; i < 50 && d.status !== 'INSYNC'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      d = await pollDns(d, run, w.ports);
    }
    expect(d.status).toBe('INSYNC');
    expect((await repointDns(run, w.t, w.ports)).outcome).toBe('already');

    // agents move: the old server lost the lock and sends them away; DNS now names the new one
    let r = await confirmReconnect(run, plan, undefined, w.t, w.ports);
    for (let i = 0; i < 200 && !r.done; i++) {
      await new Promise((res) => setTimeout(res, 50));
      r = await confirmReconnect(run, plan, r, w.t, w.ports);
    }
    expect(r).toMatchObject({ done: true, connected: 5, expected: 5, missing: [] });
    expect(await snapshot(w)).toEqual({
      primary: 'us-west-2',
      lock: `mgmt-west@${l1.epoch}`,
      dns: w.t.dns.values['mgmt-west'],
    });
    expect(w.sb.invariants.violations()).toEqual([]);

    const report = await buildReport(
      { run, plan, outcome: { name: 'FailedOver' }, promotion: p1, lock: l1, dns: d, reconnect: r },
      w.t,
      w.ports,
    );
    expect(report.changed.map((c) => c.what)).toEqual([
      'Redis primary',
      'global lock',
      'DNS mgmt-server.sandbox.gloo.test',
    ]);
  });

  it('changes nothing in dry-run mode', async () => {
    const w = await useWorld();
    const run = w.run('failover', { dryRun: true });
    const before = await snapshot(w);
    const plan = await preflight(run, w.t, w.ports);
    expect((await startPromotion(run, w.ports)).state).toBe('would-promote');
    expect((await switchLock(run, plan, w.t, w.ports)).outcome).toBe('would-switch');
    expect((await repointDns(run, w.t, w.ports)).outcome).toBe('would-change');
    expect(await snapshot(w)).toEqual(before);
  });

  it('confirms the outage of a killed region; refuses a healthy one', async () => {
    const w = await useWorld();
    const err = await verifyOutage(w.run(), w.t, w.ports).catch((e) => e);
    expect(isNamed(err, 'OutageNotConfirmed')).toBe(true);
    await w.sb.killRegion('us-east-1');
    const v = await verifyOutage(w.run(), w.t, w.ports);
    expect(v.confirmed).toBe(true);
    expect(v.votes).toBeGreaterThanOrEqual(3);
  });

  it('repoint-dns refuses to overwrite a record someone else changed (DnsChangeConflict), nothing overwritten', async () => {
    const w = await useWorld();
    const run = w.run();
    // someone points the record elsewhere between our read and our write
    const realRead = w.ports.dns.read.bind(w.ports.dns);
    let reads = 0;
    const dns = {
      ...w.ports.dns,
      read: async () => {
        const rec = await realRead();
        // the switch reads twice (state, then select): the record moves right after the second read
        if (++reads === 2) w.sb.dns.compareAndSwap(rec!, { ttl: rec!.ttl, values: ['127.0.0.99'] });
        return rec;
      },
      compareAndSwap: w.ports.dns.compareAndSwap.bind(w.ports.dns),
      changeStatus: w.ports.dns.changeStatus.bind(w.ports.dns),
    };
    const racing = { ...w.ports, dns, dnsSwitch: new RecordDnsSwitch(w.t, dns) };
    const err = await repointDns(run, w.t, racing).catch((e) => e);
    expect(isNamed(err, 'DnsChangeConflict')).toBe(true);
    expect(w.sb.dns.read()?.values).toEqual(['127.0.0.99']);
  });
});
