import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fenceStalePrimaries } from '#lib/fence.ts';
import type { LockState, LockSwitchRequest, RedisPromoter } from '#lib/ports.ts';
import { parseTopology, type Region } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/** The write-to-one example with a redis-key lock: the mode in which the fencing pass writes the lock. */
const t = parseTopology({
  ...JSON.parse(readFileSync('infra/topology.write-to-one.example.json', 'utf8')),
  lock: { adapter: 'redis-key' },
});

/** Two writable members: us-east-1 an island whose lock names mgmt-east@1, us-west-2 live at mgmt-west@2. */
function ports(protect: RedisPromoter['protect']) {
  const locks: Record<string, LockState> = {
    'us-east-1': { holder: 'mgmt-east', rawValue: 'mgmt-east', epoch: 1 },
    'us-west-2': { holder: 'mgmt-west', rawValue: 'mgmt-west', epoch: 2 },
  };
  const switches: { region: Region; req: LockSwitchRequest }[] = [];
  const p: Pick<Ports, 'promoter' | 'lock'> = {
    promoter: {
      describe: async () => ({
        primaryRegion: null,
        groupStatus: 'split',
        members: (['us-east-1', 'us-west-2'] as const).map((region) => ({
          region,
          role: 'primary',
          reachable: true,
        })),
      }),
      promote: async () => {
        throw new Error('not used');
      },
      status: async () => {
        throw new Error('not used');
      },
      ...(protect ? { protect } : {}),
    },
    lock: async (region) => ({
      lock: {
        read: async () => locks[region]!,
        switch: async (req) => {
          switches.push({ region, req });
          return { outcome: 'switched', previous: locks[region]!, holder: req.newHolder, epoch: 2 };
        },
      },
      close: async () => {},
    }),
  };
  return { p, switches };
}

describe('fencing pass', () => {
  it('writes the live holder into the island through its data fence, and still does when re-protecting fails', async () => {
    // prepare
    const { p, switches } = ports(async () => {
      throw new Error('NOPERM this user has no permissions to run the config|get command');
    });
    // act
    const r = await fenceStalePrimaries(t, p);
    // assess
    expect(r.fenced.map((f) => f.region)).toEqual(['us-east-1']);
    expect(switches).toEqual([
      {
        region: 'us-east-1',
        req: {
          expectedHolder: 'mgmt-east',
          newHolder: 'mgmt-west',
          force: true,
          minEpoch: 1,
          throughReplicaFence: true,
        },
      },
    ]);
    expect(r.detail).toMatch(/re-protecting the primary failed: NOPERM/);
  });

  it('reports the primaries it re-protected', async () => {
    // prepare
    const { p } = ports(async () => ({
      protected: ['us-west-2'],
      detail: 'us-west-2: min-replicas-to-write 0 -> 1',
    }));
    // act
    const r = await fenceStalePrimaries(t, p);
    // assess
    expect(r.protected).toEqual(['us-west-2']);
  });

  it('in write-to-all (no lock to write) still re-protects the primaries and touches no lock', async () => {
    // prepare
    const { p, switches } = ports(async () => ({
      protected: ['us-west-2'],
      detail: 'us-west-2: min-replicas-to-write 0 -> 1',
    }));
    const writeToAll = parseTopology(JSON.parse(readFileSync('infra/topology.example.json', 'utf8')));
    // act
    const r = await fenceStalePrimaries(writeToAll, p);
    // assess
    expect(r.protected).toEqual(['us-west-2']);
    expect(switches).toEqual([]);
    expect(r.detail).toMatch(/no lock to fence with/);
  });
});
