import { describe, expect, it } from 'vitest';
import { expectedList } from '#functions/confirm-reconnect/confirm-reconnect.ts';
import { isNamed } from '#lib/errors.ts';
import { describeSet, digestOf, runSetKey } from '#lib/expected-set.ts';
import type { ClusterRegistry } from '#lib/ports.ts';
import type { Plan, Run } from '#lib/state.ts';
import { loadTopology } from '#lib/topology.ts';

const t = loadTopology('infra/topology.example.json');
const run = { executionId: 'arn:aws:states:us-west-2:123456789012:execution:m:e1' } as Run;
const planWith = (clusters: string[], storedIn: 'registry' | 'topology' | 'none') =>
  ({ expectedClusters: describeSet(clusters, storedIn) }) as Plan;
function registryWith(sets: Record<string, string[]>): Pick<ClusterRegistry, 'runSet'> & { reads: number } {
  const r = {
    reads: 0,
    runSet: async (key: string) => {
      r.reads++;
      return sets[key] ? { clusters: sets[key], at: '2026-01-01T00:00:00Z' } : null;
    },
  };
  return r;
}

describe('expected clusters kept out of the workflow state', () => {
  it('describes a set by count, order-free digest and a sample of at most 10 names', () => {
    const names = Array.from({ length: 25 }, (_, i) => `c-${String(i).padStart(2, '0')}`);
    const d = describeSet([...names].reverse(), 'registry');
    expect(d).toMatchObject({ count: 25, storedIn: 'registry', sha256: digestOf(names) });
    expect(d.sample).toEqual(names.slice(0, 10));
  });

  it('reads the run set saved under the execution id once per container and checks it against the digest', async () => {
    const names = ['w-1', 'w-2', 'w-3'];
    const reg = registryWith({ [runSetKey(run.executionId)]: names });
    const ports = { registry: reg as unknown as ClusterRegistry };
    expect(await expectedList(run, planWith(names, 'registry'), t, ports)).toEqual(names);
    expect(await expectedList(run, planWith(names, 'registry'), t, ports)).toEqual(names);
    expect(reg.reads).toBe(1);
  });

  it('ends ReconnectIncomplete, never guesses, when the run set is gone or differs from what preflight recorded', async () => {
    const other = { ...run, executionId: `${run.executionId}-other` } as Run;
    const gone = await expectedList(other, planWith(['a'], 'registry'), t, {
      registry: registryWith({}) as unknown as ClusterRegistry,
    }).catch((e) => e);
    expect(isNamed(gone, 'ReconnectIncomplete')).toBe(true);
    expect(gone.message).toMatch(/no longer in the cluster registry/);
    const third = { ...run, executionId: `${run.executionId}-third` } as Run;
    const changed = await expectedList(third, planWith(['a', 'b'], 'registry'), t, {
      registry: registryWith({ [runSetKey(third.executionId)]: ['a'] }) as unknown as ClusterRegistry,
    }).catch((e) => e);
    expect(isNamed(changed, 'ReconnectIncomplete')).toBe(true);
    expect(changed.message).toMatch(/do not match the 2 preflight recorded/);
  });

  it('has nothing to read for an empty set', async () => {
    expect(
      await expectedList(run, planWith([], 'none'), t, {
        registry: registryWith({}) as unknown as ClusterRegistry,
      }),
    ).toEqual([]);
  });
});
