/**
 * Preflight checks the configuration mode against reality (Gloo docs, "CI/CD pipeline
 * configuration"): in write-to-one the lock adapter must be able to act for the target (meshctl:
 * its kube context is configured); in write-to-all a lock key left by an earlier write-to-one
 * setup is reported. Both read only.
 */
import { describe, expect, it } from 'vitest';
import { preflight } from '#functions/preflight/preflight.ts';
import { isNamed } from '#lib/errors.ts';
import { withRedis } from '#lib/redis/connect.ts';
import type { Topology } from '#lib/topology.ts';
import { useWorld } from '#test/support/world.ts';

describe('preflight per configuration mode', () => {
  it('write-to-one/meshctl: records that the target kube context is configured', async () => {
    const w = await useWorld({ configMode: 'write-to-one', lockAdapter: 'meshctl' });
    const plan = await preflight(w.run(), w.t, w.ports);
    expect(plan.targetReadiness).toContainEqual(
      expect.stringMatching(/^lock adapter meshctl: kube context ctx-mgmt-west found in .*config$/),
    );
    expect(plan.before.lock).toBeNull();
  });

  it('write-to-one/meshctl: refuses (TargetNotReady, nothing changed) when the target kube context is not configured', async () => {
    // prepare: the topology names a context the kubeconfig does not have
    const w = await useWorld({ configMode: 'write-to-one', lockAdapter: 'meshctl' }, (t) => {
      if (t.lock.adapter !== 'meshctl') throw new Error('meshctl expected');
      return {
        ...t,
        lock: { ...t.lock, servers: { ...t.lock.servers, 'mgmt-west': { kubeContext: 'prod-west' } } },
      } as Topology;
    });
    // act
    const err = await preflight(w.run(), w.t, w.ports).catch((e) => e);
    // assess
    expect(isNamed(err, 'TargetNotReady'), String(err)).toBe(true);
    expect(err.message).toMatch(
      /lock adapter meshctl cannot act for mgmt-west: kube context prod-west \(lock\.servers\.mgmt-west\.kubeContext\) is not defined in/,
    );
    expect(w.sb.meshctl.calls()).toEqual([]);
  });

  it('write-to-all: warns when the lock key of an earlier write-to-one setup is still in Redis', async () => {
    // prepare
    const w = await useWorld({ configMode: 'write-to-all' });
    const clean = await preflight(w.run(), w.t, w.ports);
    expect(clean.warnings.filter((x) => /earlier write-to-one/.test(x))).toEqual([]);
    await withRedis(w.sb.regions[w.sb.regionNames[0]].redis.endpoint, {}, (r) =>
      r.set('{gloo-mesh}:global-lock', 'mgmt-east'),
    );
    await new Promise((r) => setTimeout(r, 300)); // let it replicate to the target's member
    // act
    const plan = await preflight(w.run(), w.t, w.ports);
    // assess
    expect(plan.warnings).toContainEqual(
      expect.stringMatching(
        /^write-to-all mode, but the lock key \{gloo-mesh\}:global-lock of an earlier write-to-one setup still exists in us-west-2 \(value "mgmt-east"\)/,
      ),
    );
  });
});
