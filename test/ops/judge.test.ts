/** The status verdict from readings alone: which disagreements are problems, what makes it unknown. */
import { describe, expect, it } from 'vitest';
import { loadTopology } from '#lib/topology.ts';
import { judge, type ServerStatus, type StatusReadings } from '../../infra/ops/status.ts';

const t = loadTopology('infra/topology.example.json');
const [a, b] = t.servers as [(typeof t.servers)[0], (typeof t.servers)[0]];
const ok = { ok: true, detail: 'ok' };
const server = (s: typeof a, over: Partial<ServerStatus>): ServerStatus => ({
  id: s.id,
  region: s.region,
  glooClusterName: s.glooClusterName,
  home: s.id === t.homeServer,
  lock: { holder: a.id, epoch: 3 },
  redis: { region: s.region, role: 'replica', reachable: true, inSync: true, lagBytes: 0 },
  health: ok,
  relay: ok,
  agents: { connected: 0, warmed: 0, missingReplicas: [] },
  lastRun: null,
  ...over,
});
const readings = (
  sa: Partial<ServerStatus>,
  sb: Partial<ServerStatus>,
  dns: string[] | null,
): StatusReadings => ({
  name: t.name,
  at: '2026-11-29T03:00:00.000Z',
  servers: [
    server(a, { redis: { region: a.region, role: 'primary', reachable: true }, ...sa }),
    server(b, sb),
  ],
  redis: { members: [], primaryRegion: a.region },
  dns: {
    name: t.dns.recordName,
    type: 'A',
    via: 'test',
    answer: dns,
    pointsTo: dns
      ? dns[0] === t.dns.values[a.id]
        ? a.id
        : dns[0] === t.dns.values[b.id]
          ? b.id
          : null
      : null,
  },
});

describe('the status verdict', () => {
  it('is consistent (exit 0) when the one writable member, its lock and DNS name the same server', () => {
    const v = judge(t, readings({}, {}, [t.dns.values[a.id]!]));
    expect(v).toMatchObject({ active: a.id, problems: [], unknowns: [], exitCode: 0 });
    expect(v.readiness[b.id]).toEqual([]);
  });

  it('names a lock that disagrees with the Redis primary (exit 1)', () => {
    const v = judge(t, readings({ lock: { holder: b.id, epoch: 4 } }, {}, [t.dns.values[a.id]!]));
    expect(v.exitCode).toBe(1);
    expect(v.problems).toEqual([
      `the Redis primary is in ${a.region} (${a.id}) but its lock names ${b.id} (epoch 4)`,
    ]);
  });

  it('cannot tell (exit 2) when the DNS name does not resolve, and says why', () => {
    const r = readings({}, {}, null);
    r.dns.error = 'queryA ENOTFOUND';
    const v = judge(t, r);
    expect(v.exitCode).toBe(2);
    expect(v.unknowns).toEqual([`DNS ${t.dns.recordName}: queryA ENOTFOUND`]);
  });

  it('lists why the passive server is not ready: a lagging replica', () => {
    const v = judge(
      t,
      readings(
        {},
        {
          redis: {
            region: b.region,
            role: 'replica',
            reachable: true,
            inSync: false,
            lagBytes: 5_000_000,
            detail: 'link=up',
          },
        },
        [t.dns.values[a.id]!],
      ),
    );
    expect(v.readiness[b.id]).toEqual([
      'its Redis replica is not in sync (link=up)',
      `its Redis replica lags 5000000 bytes (bound ${t.redis.maxLagBytes})`,
    ]);
    expect(v.exitCode).toBe(0);
  });
});
