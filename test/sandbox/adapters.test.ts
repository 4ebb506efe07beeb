import { Resolver } from 'node:dns/promises';
import { describe, expect, it, vi } from 'vitest';
import { isNamed } from '#lib/errors.ts';
import { freePort } from '#local/redis-server.ts';
import {
  SandboxAlarmStates,
  SandboxClusterRegistry,
  SandboxDnsPointer,
  SandboxHealthChecks,
} from '#local/sandbox/adapters.ts';
import { useSandbox } from '#local/sandbox/testing.ts';
import { recordValue, waitFor } from './support.ts';

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('sandbox adapters against a running sandbox', () => {
  it('reads the record, swaps it, reports the change INSYNC, and DNS then answers the new value', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2, dnsPropagationMs: 200 });
    const [east, west] = sb.clusters;
    const dns = new SandboxDnsPointer(sb.controlUrl, sb.topology.dns.recordName, sb.topology.dns.recordType);
    const current = await dns.read();
    expect(current).toEqual({ ttl: 1, values: [recordValue(sb, east)] });
    // act
    const res = await dns.compareAndSwap({
      expected: current!,
      next: { ttl: 1, values: [recordValue(sb, west)] },
      dryRun: false,
    });
    // assess
    expect(res.outcome).toBe('changed');
    expect(await dns.changeStatus(res.changeId!)).toBe('PENDING');
    await waitFor(
      'the change to be INSYNC',
      async () => (await dns.changeStatus(res.changeId!)) === 'INSYNC',
    );
    expect(await dns.read()).toEqual({ ttl: 1, values: [recordValue(sb, west)] });
    const resolver = new Resolver();
    resolver.setServers([sb.dns.server]);
    expect(await resolver.resolve4(sb.topology.dns.recordName, { ttl: true })).toEqual([
      { address: recordValue(sb, west), ttl: 1 },
    ]);
  });

  it('reports already, would-change and a missing record without changing anything', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    const [east, west] = sb.clusters;
    const dns = new SandboxDnsPointer(sb.controlUrl, sb.topology.dns.recordName, 'A');
    const onEast = { ttl: 1, values: [recordValue(sb, east)] };
    const onWest = { ttl: 1, values: [recordValue(sb, west)] };
    // act
    const already = await dns.compareAndSwap({ expected: onWest, next: onEast, dryRun: false });
    const dry = await dns.compareAndSwap({ expected: onEast, next: onWest, dryRun: true });
    const missing = await new SandboxDnsPointer(sb.controlUrl, 'nothing.sandbox.gloo.test', 'A').read();
    // assess
    expect(already).toEqual({ outcome: 'already', changeId: null });
    expect(dry).toEqual({ outcome: 'would-change', changeId: null });
    expect(missing).toBeNull();
    expect(sb.dns.read()).toEqual(onEast);
  });

  it('refuses to swap a record that is not the expected one, also when it changes between read and swap', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    const [east, west] = sb.clusters;
    const dns = new SandboxDnsPointer(sb.controlUrl, sb.topology.dns.recordName, 'A');
    const onEast = { ttl: 1, values: [recordValue(sb, east)] };
    const onWest = { ttl: 1, values: [recordValue(sb, west)] };
    const elsewhere = { ttl: 1, values: ['127.0.0.99'] };
    // act: a stale expectation (TTL differs)
    const stale = await caught(
      dns.compareAndSwap({ expected: { ttl: 30, values: onEast.values }, next: onWest, dryRun: false }),
    );
    // act: someone else changes the record after our read, before our CAS (the 409 path)
    const realFetch = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      if (init?.method === 'POST') sb.dns.compareAndSwap(onEast, elsewhere);
      return realFetch(input, init);
    });
    const raced = await caught(dns.compareAndSwap({ expected: onEast, next: onWest, dryRun: false }));
    spy.mockRestore();
    // assess
    expect(isNamed(stale, 'DnsChangeConflict')).toBe(true);
    expect(isNamed(raced, 'DnsChangeConflict')).toBe(true);
    expect((raced as { details: Record<string, unknown> }).details.current).toEqual(elsewhere);
    expect(sb.dns.read()).toEqual(elsewhere);
  });

  it('maps an injected 503 and an unreachable control API to TransientError', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    const [east, west] = sb.clusters;
    const dns = new SandboxDnsPointer(sb.controlUrl, sb.topology.dns.recordName, 'A');
    const onEast = { ttl: 1, values: [recordValue(sb, east)] };
    const onWest = { ttl: 1, values: [recordValue(sb, west)] };
    sb.faults.controlPlane.failNext = 1;
    // act
    const failed = await caught(dns.compareAndSwap({ expected: onEast, next: onWest, dryRun: false }));
    const recordAfterFailure = sb.dns.read();
    const retried = await dns.compareAndSwap({ expected: onEast, next: onWest, dryRun: false });
    const down = await caught(new SandboxAlarmStates(`http://127.0.0.1:${await freePort()}`).states(['x']));
    // assess
    expect(isNamed(failed, 'TransientError')).toBe(true);
    expect((failed as Error).message).toContain('HTTP 503');
    expect(recordAfterFailure).toEqual(onEast);
    expect(retried.outcome).toBe('changed');
    expect(isNamed(down, 'TransientError')).toBe(true);
    expect((down as Error).message).toContain('ECONNREFUSED');
  });

  it('reads alarm states, ALARM after the active region dies', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    const alarms = new SandboxAlarmStates(sb.controlUrl);
    const [eastAlarm, westAlarm] = sb.topology.servers.map((s) => s.alarmNames[0]!);
    await waitFor('both alarms OK', async () => {
      const s = await alarms.states([eastAlarm!, westAlarm!]);
      return s[eastAlarm!] === 'OK' && s[westAlarm!] === 'OK';
    });
    // act
    await sb.killRegion(sb.regionNames[0]);
    // assess
    await waitFor(
      'the east alarm in ALARM',
      async () => (await alarms.states([eastAlarm!]))[eastAlarm!] === 'ALARM',
    );
    expect(await alarms.states([westAlarm!, 'unknown-alarm'])).toEqual({
      [westAlarm!]: 'OK',
      'unknown-alarm': 'MISSING',
    });
  });

  it('reads health-check observations, one checker lying on request, and refuses an unknown id', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    const checks = new SandboxHealthChecks(sb.controlUrl);
    const id = sb.topology.servers[1]!.route53HealthCheckId!;
    // act
    const honest = await checks.observations(id);
    sb.lieProbe(sb.regionNames[1], true);
    const lying = await checks.observations(id);
    const unknown = await caught(checks.observations('00000000-0000-0000-0000-000000000000'));
    // assess
    expect(honest).toEqual({ healthy: 8, total: 8 });
    expect(lying).toEqual({ healthy: 7, total: 8 });
    expect(isNamed(unknown, 'InvalidInput')).toBe(true);
  });

  it('keeps the last-seen clusters of a server after it dies, and records what it is given', async () => {
    // prepare
    const sb = await useSandbox({ agents: 4 });
    const registry = new SandboxClusterRegistry(sb.controlUrl);
    const [east, west] = sb.clusters;
    const seen = await waitFor('the sandbox to record east', () => registry.lastSeen(east));
    expect(seen.clusters).toEqual(['workload-1', 'workload-2', 'workload-3', 'workload-4']);
    // act
    await sb.killRegion(sb.regionNames[0]);
    await registry.record(west, ['workload-9'], '2026-11-20T03:12:41Z');
    // assess
    expect((await registry.lastSeen(east))?.clusters).toEqual(seen.clusters);
    expect(await registry.lastSeen(west)).toEqual({ clusters: ['workload-9'], at: '2026-11-20T03:12:41Z' });
    expect(await registry.lastSeen('mgmt-nowhere')).toBeNull();
  });
});
