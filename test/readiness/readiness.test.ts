import { describe, expect, it } from 'vitest';
import {
  type AlarmDetail,
  READINESS_CHECKS,
  type ReadinessPorts,
  type ReadinessReport,
  readiness,
  topologySecrets,
} from '#functions/readiness/readiness.ts';
import { ManualClock } from '#lib/clock.ts';
import type { RedisMemberState } from '#lib/ports.ts';
import { loadTopology, type Topology } from '#lib/topology.ts';

const base = loadTopology('infra/topology.example.json');
// The relay TLS and telemetry checks of preflight have their own tests; leave them out here.
const t: Topology = {
  ...base,
  servers: base.servers.map(({ relayTls: _r, telemetryGateway: _g, ...s }) => s) as Topology['servers'],
};
const EAST = 'mgmt-east.gloo.internal.example.com';

/** A healthy world (east active, west a replica in sync) whose pieces a test can break. */
function world(clock: ManualClock) {
  const w = {
    mutations: [] as string[],
    published: [] as ReadinessReport[],
    westHealthy: true,
    west: {
      region: 'us-west-2',
      role: 'replica',
      reachable: true,
      inSync: true,
      lagBytes: 10,
    } as RedisMemberState,
    unreadable: new Set<string>(),
    slackOk: true,
    alarms: { 'gloo-mgmt-east-relay-down': { state: 'OK' } } as Record<string, AlarmDetail>,
  };
  const lock = {
    read: async () => ({ holder: 'mgmt-east', rawValue: 'mgmt-east', epoch: 3 }),
    switch: async () => {
      w.mutations.push('lock.switch');
      throw new Error('readiness must not switch the lock');
    },
  };
  const ports: ReadinessPorts = {
    clock,
    probes: {
      tcpConnect: async () => ({ ok: true, latencyMs: 1, detail: 'connected' }),
      httpGet: async (url) =>
        url.includes('mgmt-west') && !w.westHealthy
          ? { ok: false, latencyMs: 1, detail: 'ECONNREFUSED' }
          : { ok: true, latencyMs: 1, detail: 'HTTP 200', status: 200 },
    },
    agentMetrics: {
      read: async () => ({
        source: 'scrape',
        clusters: new Map(),
        replicas: [],
        complete: true,
        rejected: [],
        rejectedCount: 0,
      }),
    },
    tls: { handshake: async () => ({ ok: true, detail: 'ok' }) } as unknown as ReadinessPorts['tls'],
    pem: { read: async () => 'pem' },
    promoter: {
      describe: async () => ({
        members: [{ region: 'us-east-1', role: 'primary', reachable: true }, w.west],
        primaryRegion: 'us-east-1',
      }),
      promote: async () => {
        w.mutations.push('promote');
        throw new Error('readiness must not promote');
      },
      status: async () => {
        throw new Error('not used');
      },
    },
    lock: async () => ({ lock, close: async () => {} }),
    dnsSwitch: {
      mode: 'route53-record',
      state: async () => ({
        selects: 'mgmt-east',
        detail: `CNAME ${EAST}`,
        record: { ttl: 30, values: [EAST] },
      }),
      select: async () => {
        w.mutations.push('dns.select');
        throw new Error('readiness must not change DNS');
      },
    },
    dnsAnswers: {
      resolve: async () => ({
        answers: [{ from: 'ns-1', values: [EAST], ttl: 30 }],
        pointsTo: 'mgmt-east',
        unknown: [],
      }),
    },
    registry: {
      lastSeen: async () => ({ clusters: ['c1'], at: '2026-11-20T03:00:00Z' }),
      record: async () => {
        w.mutations.push('registry.record');
      },
      saveRunSet: async () => {
        w.mutations.push('registry.saveRunSet');
      },
      runSet: async () => null,
    },
    runs: { othersRunning: async () => [] },
    dnsInventory: {
      recordSets: async () => [{ values: [EAST] }],
      healthCheck: async () => null,
    },
    secrets: {
      check: async (id) => {
        if (w.unreadable.has(id)) throw new Error('AccessDeniedException: not authorized to read it');
      },
    },
    slack: {
      authTest: async () =>
        w.slackOk ? { ok: true, detail: 'team T1, bot B1' } : { ok: false, detail: 'invalid_auth' },
    },
    alarmDetails: {
      details: async (names) =>
        Object.fromEntries(names.map((n) => [n, w.alarms[n] ?? { state: 'MISSING' }])),
    },
    publisher: {
      publish: async (r) => {
        w.published.push(r);
      },
    },
  };
  return { w, ports };
}

const check = (r: ReadinessReport, name: string) => r.checks.find((c) => c.name === name)!;
const evaluate = (ports: ReadinessPorts, clock: ManualClock) =>
  readiness(t, ports, clock, { target: 'mgmt-west', insufficientDataMaxMs: 30 * 60_000 });

describe('continuous readiness', () => {
  it('reports ready with every named check ok, publishes once and changes nothing', async () => {
    // prepare
    const clock = new ManualClock();
    const { w, ports } = world(clock);
    // act
    const r = await evaluate(ports, clock);
    // assess
    expect(r.ready).toBe(true);
    expect(r.failed).toEqual([]);
    expect(r.checks.map((c) => c.name)).toEqual([...READINESS_CHECKS]);
    expect(r.checks.every((c) => c.ok && c.reason.length > 0)).toBe(true);
    expect(check(r, 'Preflight').reason).toContain('passes preflight');
    expect(w.published).toEqual([r]);
    expect(w.mutations).toEqual([]);
    expect(r).toMatchObject({ target: 'mgmt-west', region: 'us-west-2', at: '2026-11-20T03:12:41.000Z' });
  });

  it('names the unhealthy target in TargetHealthy and in the preflight reason', async () => {
    const clock = new ManualClock();
    const { w, ports } = world(clock);
    w.westHealthy = false;
    const r = await evaluate(ports, clock);
    expect(r.ready).toBe(false);
    expect(r.failed).toEqual(['Preflight', 'TargetHealthy']);
    expect(check(r, 'TargetHealthy').reason).toContain('ECONNREFUSED');
    expect(check(r, 'Preflight').reason).toMatch(/^TargetNotReady: .*not healthy/);
  });

  it('fails ReplicaLag when the lag is over redis.maxLagBytes, naming the lag and the bound', async () => {
    const clock = new ManualClock();
    const { w, ports } = world(clock);
    w.west = { ...w.west, lagBytes: t.redis.maxLagBytes + 1 };
    const r = await evaluate(ports, clock);
    expect(r.failed).toContain('ReplicaLag');
    expect(check(r, 'ReplicaLag').reason).toBe(
      `Redis in us-west-2 lags ${t.redis.maxLagBytes + 1} bytes (bound ${t.redis.maxLagBytes})`,
    );
  });

  it('fails ReplicaLag when this region is the primary but refuses writes (data-layer fencing, replica gone)', async () => {
    const clock = new ManualClock();
    const { w, ports } = world(clock);
    w.west = {
      region: 'us-west-2',
      role: 'primary',
      reachable: true,
      refusesWrites: true,
      detail: 'connected_slaves=0 good_replicas=0',
    };
    ports.promoter.describe = async () => ({
      members: [{ region: 'us-east-1', role: 'unknown', reachable: false }, w.west],
      primaryRegion: 'us-west-2',
    });
    const r = await evaluate(ports, clock);
    expect(r.failed).toContain('ReplicaLag');
    expect(check(r, 'ReplicaLag').reason).toMatch(
      /^Redis in us-west-2 is the primary but refuses writes \(connected_slaves=0 good_replicas=0\): its replica is gone/,
    );
  });

  it('fails SecretsReadable naming the unreadable secret only', async () => {
    const clock = new ManualClock();
    const { w, ports } = world(clock);
    w.unreadable.add('gloo-failover/slack-signing-secret');
    const r = await evaluate(ports, clock);
    expect(r.failed).toEqual(['SecretsReadable']);
    expect(check(r, 'SecretsReadable').reason).toBe(
      'unreadable secrets: gloo-failover/slack-signing-secret: AccessDeniedException: not authorized to read it',
    );
  });

  it('lists every secret the topology names', () => {
    expect(topologySecrets(base)).toEqual([
      'gloo-failover/ci-webhook-key',
      'gloo-failover/redis-auth',
      'gloo-failover/relay-root-ca',
      'gloo-failover/slack-bot-token',
      'gloo-failover/slack-signing-secret',
    ]);
  });

  it('fails SlackAuth when auth.test rejects the bot token, and skips it without Slack approvals', async () => {
    const clock = new ManualClock();
    const { w, ports } = world(clock);
    w.slackOk = false;
    const bad = await evaluate(ports, clock);
    expect(bad.failed).toEqual(['SlackAuth']);
    expect(check(bad, 'SlackAuth').reason).toContain('invalid_auth');
    const noSlack = { ...t, approvals: { ...t.approvals, gates: [], slack: undefined } };
    const r = await readiness(noSlack, ports, clock, { target: 'mgmt-west' });
    expect(check(r, 'SlackAuth')).toEqual({
      name: 'SlackAuth',
      ok: true,
      reason: 'approvals.slack is not configured',
    });
  });

  it('fails TriggerAlarms for a missing alarm and for INSUFFICIENT_DATA past the bound, not within it', async () => {
    const clock = new ManualClock();
    const { w, ports } = world(clock);
    w.alarms = {};
    const missing = await evaluate(ports, clock);
    expect(check(missing, 'TriggerAlarms')).toEqual({
      name: 'TriggerAlarms',
      ok: false,
      reason: 'gloo-mgmt-east-relay-down does not exist',
    });
    w.alarms = {
      'gloo-mgmt-east-relay-down': { state: 'INSUFFICIENT_DATA', since: clock.now() - 29 * 60_000 },
    };
    expect(check(await evaluate(ports, clock), 'TriggerAlarms').ok).toBe(true);
    clock.advance(2 * 60_000);
    const stale = await evaluate(ports, clock);
    expect(check(stale, 'TriggerAlarms')).toEqual({
      name: 'TriggerAlarms',
      ok: false,
      reason: 'gloo-mgmt-east-relay-down has been INSUFFICIENT_DATA for 31 min (bound 30 min)',
    });
  });

  it('fails only the check whose port throws, with the error as its reason', async () => {
    const clock = new ManualClock();
    const { ports } = world(clock);
    ports.alarmDetails = {
      details: async () => {
        throw new Error('AccessDenied: cloudwatch:DescribeAlarms');
      },
    };
    const r = await evaluate(ports, clock);
    expect(r.failed).toEqual(['TriggerAlarms']);
    expect(check(r, 'TriggerAlarms').reason).toBe('check failed: AccessDenied: cloudwatch:DescribeAlarms');
  });

  it('fails Preflight when another run is in progress', async () => {
    const clock = new ManualClock();
    const { ports } = world(clock);
    ports.runs = { othersRunning: async () => [{ id: 'exec-1', startedAt: '2026-11-20T03:00:00Z' }] };
    const r = await evaluate(ports, clock);
    expect(r.failed).toEqual(['Preflight']);
    expect(check(r, 'Preflight').reason).toMatch(/^RunInProgress: .*exec-1/);
  });
});
