import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { netProbes } from '#lib/probes.ts';
import { parseInfo } from '#lib/redis/connect.ts';
import { type AlarmStateChangeEvent, promoteAndSwitchLock } from '#local/sandbox/index.ts';
import { useSandbox } from '#local/sandbox/testing.ts';
import { recordValue, waitFor } from './support.ts';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/cloudwatch-alarm-state-change.json', import.meta.url), 'utf8'),
);

/** The shape of a JSON value: the same keys all the way down, leaves replaced by their type. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, k === 'dimensions' ? Object.keys(x as object).sort() : shape(x)]),
    );
  return typeof v;
}

function nextAlarm(
  sb: Awaited<ReturnType<typeof useSandbox>>,
  name: string,
  value: string,
  timeoutMs: number,
) {
  return new Promise<AlarmStateChangeEvent>((resolve, reject) => {
    const timer = setTimeout(() => {
      sb.events.off('alarm', on);
      reject(new Error(`no ${value} event for ${name} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (ev: AlarmStateChangeEvent) => {
      if (ev.detail.alarmName !== name || ev.detail.state.value !== value) return;
      clearTimeout(timer);
      sb.events.off('alarm', on);
      resolve(ev);
    };
    sb.events.on('alarm', on);
  });
}

describe('sandbox fault injection', () => {
  it('raises the relay-down alarm with a CloudWatch-shaped event when the active region dies, and clears it on heal', async () => {
    // prepare
    const sb = await useSandbox({ agents: 5 });
    const [a, b] = sb.regionNames;
    const [east] = sb.clusters;
    const alarmName = `sandbox-${east}-relay-down`;
    await waitFor('the alarm to be OK', () => sb.alarms.states([alarmName])[alarmName] === 'OK');
    // act
    const alarmed = nextAlarm(sb, alarmName, 'ALARM', 10_000);
    const killedAt = Date.now();
    await sb.killRegion(a);
    const ev = await alarmed;
    // assess: the event has exactly the fixture's shape and names the probe region
    const tookMs = Date.now() - killedAt;
    console.log(`relay-down alarm raised ${tookMs} ms after the kill (3 x 500 ms datapoints)`);
    expect(tookMs).toBeGreaterThanOrEqual(900);
    expect(shape(ev)).toEqual(shape(fixture));
    expect(ev).toMatchObject({
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      region: b,
      detail: {
        alarmName,
        state: { value: 'ALARM' },
        previousState: { value: 'OK' },
        configuration: {
          metrics: [
            {
              metricStat: {
                metric: {
                  namespace: 'GlooFailover/Probes',
                  name: 'RelayReachable',
                  dimensions: { ManagementCluster: east, ProbeRegion: b },
                },
              },
            },
          ],
        },
      },
    });
    expect(sb.topology.servers[0]!.alarmNames).toEqual([alarmName]);
    expect(sb.alarms.states([alarmName, 'nope'])).toEqual({ [alarmName]: 'ALARM', nope: 'MISSING' });

    // act: heal
    const cleared = nextAlarm(sb, alarmName, 'OK', 10_000);
    await sb.healRegion(a);
    await cleared;
    // assess: the killed Redis came back empty and standalone, so the healed server is passive
    const redis = sb.regions[a].redis.client();
    onTestFinished(() => void redis.disconnect());
    expect(parseInfo(await redis.info('replication')).role).toBe('master');
    expect(await redis.dbsize()).toBe(0);
    await waitFor('the healed server to read the (absent) lock', async () => {
      const health = (await (await fetch(sb.regions[sb.regionNames[0]].server.healthUrl)).json()) as {
        active: boolean;
        redis: string;
      };
      return health.redis === 'ok' && !health.active;
    });
  });

  it('rides out a blip shorter than the alarm window without moving agents or raising the alarm', async () => {
    // prepare
    const sb = await useSandbox({ agents: 10 });
    const [a] = sb.regionNames;
    const [east] = sb.clusters;
    const alarmName = `sandbox-${east}-relay-down`;
    await waitFor('the alarm to be OK', () => sb.alarms.states([alarmName])[alarmName] === 'OK');
    const events: AlarmStateChangeEvent[] = [];
    sb.events.on('alarm', (ev: AlarmStateChangeEvent) => events.push(ev));
    const writesBefore = sb.regions[a].server.acceptedWrites;
    const blipAt = Date.now();
    // act
    await sb.blip(a, 300);
    // assess
    expect(sb.faultState(a)).toEqual({ server: 'up', redis: 'up' });
    await sb.agents.waitAllOn(east, 10_000);
    expect(sb.invariants.placementHistory().filter((p) => p.at >= blipAt)).toEqual([]);
    const writesAfterBlip = sb.regions[a].server.acceptedWrites;
    expect(writesAfterBlip).toBeGreaterThanOrEqual(writesBefore);
    await waitFor(
      'the server to write again after the blip',
      () => sb.regions[a].server.acceptedWrites > writesAfterBlip,
    );
    expect(events.filter((e) => e.detail.state.value === 'ALARM')).toEqual([]);
    expect(sb.alarms.states([alarmName])[alarmName]).toBe('OK');
    expect(sb.invariants.violations()).toEqual([]);
  });

  it('lets agents detect a frozen server by missed acks, while its relay port still accepts TCP connections', async () => {
    // prepare
    const sb = await useSandbox({ agents: 10 });
    const [a] = sb.regionNames;
    const server = sb.topology.servers[0]!;
    // act
    await sb.killRegion(a, 'freeze');
    // assess
    await waitFor('every agent to leave the frozen server', () =>
      Object.values(sb.agents.placement()).every((p) => p === null),
    );
    expect(sb.agents.stats.missedAcks).toBeGreaterThanOrEqual(10);
    expect((await netProbes.tcpConnect(server.relayAddress, 300)).ok).toBe(true);
    const health = await netProbes.httpGet(sb.regions[server.region].server.healthUrl, 300);
    expect(health).toMatchObject({ ok: false, detail: 'timeout after 300 ms' });
    const obs = (await (
      await fetch(`${sb.controlUrl}/health-checks/${server.route53HealthCheckId}`)
    ).json()) as {
      healthy: number;
    };
    expect(obs.healthy).toBe(0);
    // act: thaw
    await sb.healRegion(a);
    // assess
    await sb.agents.waitAllOn(server.id, 15_000);
  });

  it('reports split brain when a frozen old primary thaws without being fenced', async () => {
    // autoFence and data-layer fencing are off below: this test proves the monitor sees the split
    // the fencing prevents
    // prepare: region A frozen, B promoted and holding the lock, the record on B
    const sb = await useSandbox({ agents: 5, autoFence: false, dataFencing: false });
    const [a, b] = sb.regionNames;
    const [east, west] = sb.clusters;
    await sb.killRegion(a, 'freeze');
    await promoteAndSwitchLock(sb, a, b);
    sb.dns.compareAndSwap(
      { ttl: 1, values: [recordValue(sb, east)] },
      { ttl: 1, values: [recordValue(sb, west)] },
    );
    await waitFor('B to write as the new holder', () => sb.regions[b].server.acceptedWrites > 0);
    expect(sb.invariants.violations()).toEqual([]);
    // act: A comes back with its Redis still primary and still naming A
    await sb.healRegion(a);
    // assess
    const found = await waitFor('a split-brain violation', () =>
      sb.invariants.violations().find((v) => v.startsWith('split brain')),
    );
    expect(found).toMatch(new RegExp(`${east}|${west}`));
  });

  it('reports a lock epoch that goes backwards on a Redis', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    const [a, b] = sb.regionNames;
    await waitFor(
      'the monitor to see epoch 1 on both',
      () => sb.invariants.maxEpoch(a) === 1 && sb.invariants.maxEpoch(b) === 1,
    );
    const redis = sb.regions[a].redis.client();
    onTestFinished(() => void redis.disconnect());
    // act
    await redis.set(sb.lockFormat.epochKey, '0');
    // assess: seen on A directly, and on B, which replicates the change
    for (const region of sb.regionNames) {
      const found = await waitFor(`an epoch violation on ${region}`, () =>
        sb.invariants.violations().find((v) => v.includes(`Redis ${region} decreased`)),
      );
      expect(found).toContain(`Redis ${region} decreased from 1 to 0`);
    }
  });

  it('fails the next mutating control-plane calls with 503 and delays every call when asked', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    const put = () =>
      fetch(`${sb.controlUrl}/clusters/mgmt-east`, {
        method: 'PUT',
        body: JSON.stringify({ clusters: ['workload-1'], at: new Date().toISOString() }),
      });
    // act
    sb.faults.controlPlane = { latencyMs: 0, failNext: 2 };
    const statuses = [(await put()).status, (await put()).status, (await put()).status];
    sb.faults.controlPlane.latencyMs = 200;
    const started = performance.now();
    const get = await fetch(`${sb.controlUrl}/dns/records/${sb.dns.recordName}/A`);
    const tookMs = performance.now() - started;
    // assess
    expect(statuses).toEqual([503, 503, 204]);
    expect(get.status).toBe(200);
    expect(tookMs).toBeGreaterThanOrEqual(190);
  });

  it('makes one Route 53 checker lie about a healthy server on request', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    const [a] = sb.regionNames;
    const url = `${sb.controlUrl}/health-checks/${sb.topology.servers[0]!.route53HealthCheckId}`;
    const observe = async () => (await (await fetch(url)).json()) as { healthy: number; total: number };
    expect(await observe()).toEqual({ healthy: 8, total: 8 });
    // act
    sb.lieProbe(a, true);
    const lying = await observe();
    sb.lieProbe(a, false);
    // assess
    expect(lying).toEqual({ healthy: 7, total: 8 });
    expect(await observe()).toEqual({ healthy: 8, total: 8 });
  });
});
