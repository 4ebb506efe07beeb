import { describe, expect, it } from 'vitest';
import { verifyOutage } from '#functions/verify-outage/verify-outage.ts';
import { verifyRecovered } from '#functions/verify-recovered/verify-recovered.ts';
import { ManualClock } from '#lib/clock.ts';
import { isNamed } from '#lib/errors.ts';
import type { AlarmStates, AlarmStateValue, HealthCheckStatuses, ProbeResult, Probes } from '#lib/ports.ts';
import type { Run } from '#lib/state.ts';
import { loadTopology, type Topology } from '#lib/topology.ts';

const base = loadTopology('infra/topology.example.json');
const t: Topology = {
  ...base,
  verification: { ...base.verification, probeAttempts: 3, probeIntervalSeconds: 2, quorum: 2 },
};

const run = (over: Partial<Run['input']> = {}): Run => ({
  direction: 'failover',
  source: { server: 'mgmt-east', region: 'us-east-1' },
  target: { server: 'mgmt-west', region: 'us-west-2' },
  executionId: 'test',
  input: {
    trigger: 'alarm',
    incidentId: 'inc-1',
    dryRun: false,
    requestedBy: 'test',
    force: { lock: false, skipVerification: false, dns: false, detachRedis: false },
    ...over,
  },
});

/** Probes whose answer depends on the (manual) clock: down while `isDown(now)`. */
function probesWhere(clock: ManualClock, isDown: (now: number) => boolean): Probes & { calls: number } {
  const answer = (): ProbeResult =>
    isDown(clock.now())
      ? { ok: false, latencyMs: 1, detail: 'ECONNREFUSED' }
      : { ok: true, latencyMs: 1, detail: 'connected' };
  const p = {
    calls: 0,
    async tcpConnect() {
      p.calls++;
      return answer();
    },
    async httpGet() {
      p.calls++;
      return answer();
    },
  };
  return p;
}
const alarms = (state: AlarmStateValue): AlarmStates => ({
  states: async (names) => Object.fromEntries(names.map((n) => [n, state])),
});
const checkers = (healthy: number, total = 8): HealthCheckStatuses => ({
  observations: async () => ({ healthy, total }),
});
const failing: AlarmStates & HealthCheckStatuses = {
  states: async () => {
    throw new Error('AccessDenied');
  },
  observations: async () => {
    throw new Error('timeout');
  },
};

describe('verify-outage quorum', () => {
  it('confirms a killed region: every signal says down', async () => {
    const clock = new ManualClock();
    const res = await verifyOutage(run(), t, {
      clock,
      probes: probesWhere(clock, () => true),
      alarms: alarms('ALARM'),
      healthChecks: checkers(0),
    });
    expect(res.confirmed).toBe(true);
    expect(res.votes).toBe(4);
  });

  it('does not confirm a 2 s blip seen by 3 probes 2 s apart', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const probes = probesWhere(clock, (now) => now - start < 2_000);
    const err = await verifyOutage(run(), t, {
      clock,
      probes,
      alarms: alarms('ALARM'),
      healthChecks: checkers(8),
    }).catch((e) => e);
    expect(isNamed(err, 'OutageNotConfirmed')).toBe(true);
    expect(err.details.signals.map((s: { verdict: string }) => s.verdict)).toEqual([
      'mixed',
      'mixed',
      'down',
      'up',
    ]);
    expect(clock.now() - start).toBe(4_000); // waited between probes on the injected clock only
  });

  it('lets no single lying signal confirm on its own', async () => {
    const clock = new ManualClock();
    // the alarm lies (ALARM) while probes and checkers see the server up
    const err = await verifyOutage(run(), t, {
      clock,
      probes: probesWhere(clock, () => false),
      alarms: alarms('ALARM'),
      healthChecks: checkers(8),
    }).catch((e) => e);
    expect(isNamed(err, 'OutageNotConfirmed')).toBe(true);
    // one checker vantage point lies: 7 of 8 still see it healthy
    const err2 = await verifyOutage(run(), t, {
      clock,
      probes: probesWhere(clock, () => false),
      alarms: alarms('OK'),
      healthChecks: checkers(7),
    }).catch((e) => e);
    expect(isNamed(err2, 'OutageNotConfirmed')).toBe(true);
  });

  it('lets unreadable signals abstain, and too few signals cannot confirm', async () => {
    const clock = new ManualClock();
    const ok = await verifyOutage(run(), t, {
      clock,
      probes: probesWhere(clock, () => true),
      alarms: failing,
      healthChecks: failing,
    });
    expect(ok.signals.map((s) => s.verdict)).toEqual(['down', 'down', 'abstain', 'abstain']);
    const strict = { ...t, verification: { ...t.verification, quorum: 3 } };
    const err = await verifyOutage(run(), strict, {
      clock,
      probes: probesWhere(clock, () => true),
      alarms: failing,
      healthChecks: failing,
    }).catch((e) => e);
    expect(isNamed(err, 'OutageNotConfirmed')).toBe(true);
    expect(err.message).toMatch(/2 signal\(s\) say down/);
  });

  it('records a skipped verification as such when the operator forces it', async () => {
    const clock = new ManualClock();
    const probes = probesWhere(clock, () => false);
    const res = await verifyOutage(
      run({ force: { lock: false, skipVerification: true, dns: false, detachRedis: false } }),
      t,
      {
        clock,
        probes,
        alarms: alarms('OK'),
        healthChecks: checkers(8),
      },
    );
    expect(res).toMatchObject({ confirmed: true, skipped: true });
    expect(probes.calls).toBe(0);
  });
});

describe('verify-recovered quorum (failback mirror)', () => {
  const back: Run = {
    ...run({ trigger: 'manual' }),
    direction: 'failback',
    source: { server: 'mgmt-west', region: 'us-west-2' },
    target: { server: 'mgmt-east', region: 'us-east-1' },
  };

  it('confirms the original region is healthy again', async () => {
    const clock = new ManualClock();
    const res = await verifyRecovered(back, t, {
      clock,
      probes: probesWhere(clock, () => false),
      alarms: alarms('OK'),
      healthChecks: checkers(8),
    });
    expect(res).toMatchObject({ confirmed: true, want: 'up', votes: 4 });
  });

  it('refuses while the original region still flaps', async () => {
    const clock = new ManualClock();
    let n = 0;
    const flappy: Probes = {
      tcpConnect: async () =>
        n++ % 2
          ? { ok: false, latencyMs: 1, detail: 'ECONNRESET' }
          : { ok: true, latencyMs: 1, detail: 'connected' },
      httpGet: async () => ({ ok: false, latencyMs: 1, detail: 'HTTP 503' }),
    };
    const err = await verifyRecovered(back, t, {
      clock,
      probes: flappy,
      alarms: alarms('ALARM'),
      healthChecks: checkers(8),
    }).catch((e) => e);
    expect(isNamed(err, 'RecoveryNotConfirmed')).toBe(true);
  });
});
