import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { splitHostPort } from '#lib/redis/connect.ts';
import { parseTopology } from '#lib/topology.ts';
import { promoteAndSwitchLock, startSandbox } from '#local/sandbox/index.ts';
import { useSandbox } from '#local/sandbox/testing.ts';
import { recordValue, scrape, waitFor } from './support.ts';

function tcpRefused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function runningRedisPids(): number[] {
  try {
    return execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('sandbox lifecycle and failover', () => {
  it('connects every agent to the server the DNS record names, in under 3 s from start', async () => {
    // act
    const sb = await useSandbox();
    // assess
    console.log(`sandbox start to ready (20 agents connected and warmed): ${sb.startupMs} ms`);
    expect(sb.startupMs).toBeGreaterThan(0);
    expect(sb.startupMs).toBeLessThan(3_000);
    expect(() => parseTopology(JSON.parse(JSON.stringify(sb.topology)))).not.toThrow();
    const [east, west] = sb.topology.servers;
    expect(sb.dns.read()).toEqual({ ttl: 1, values: [recordValue(sb, east!.id)] });
    expect(new Set(Object.values(sb.agents.placement()))).toEqual(new Set([east!.id]));
    const active = await scrape(sb.regions[east!.region].server.metricsUrl);
    expect(active.connected).toHaveLength(20);
    expect(active.warmed).toHaveLength(20);
    expect(active.holder).toBe(1);
    const passive = await scrape(sb.regions[west!.region].server.metricsUrl);
    expect(passive.connected).toEqual([]);
    expect(passive.holder).toBe(0);
  });

  it('moves every agent to the new server within TTL plus backoff, and warms them only once it holds the lock', async () => {
    // prepare: a long passive grace, so agents stay on the passive server until the lock moves
    const backoff = { baseMs: 100, maxMs: 1_000 };
    const sb = await useSandbox({ passiveGraceMs: 60_000, agentBackoff: backoff, dnsPropagationMs: 300 });
    const [a, b] = sb.regionNames;
    const [east, west] = sb.clusters;
    const newServer = sb.regions[b].server;
    // act: repoint the record, then lose region A
    const cas = sb.dns.compareAndSwap(
      { ttl: 1, values: [recordValue(sb, east)] },
      { ttl: 1, values: [recordValue(sb, west)] },
    );
    expect(cas.ok).toBe(true);
    await sb.killRegion(a);
    const reconnectMs = await sb.agents.waitAllOn(west, 20_000);
    // assess: TTL (1 s) + propagation (0.3 s) + two backoff caps + 1 s of slack
    console.log(`20 agents reconnected to the new server ${reconnectMs} ms after the kill`);
    expect(reconnectMs).toBeLessThan(1_000 + 300 + 2 * backoff.maxMs + 1_000);
    const before = await scrape(newServer.metricsUrl);
    expect(before.connected).toHaveLength(20);
    expect(before.warmed).toEqual([]);
    expect(before.holder).toBe(0);
    expect(before.accepted).toBe(0);

    // act: promote B's Redis and move the lock there
    const epoch = await promoteAndSwitchLock(sb, a, b);
    // assess
    expect(epoch).toBe(2);
    const after = await waitFor('every agent warmed on the new server', async () => {
      const m = await scrape(newServer.metricsUrl);
      return m.warmed.length === 20 ? m : null;
    });
    expect(after.holder).toBe(1);
    expect(after.accepted).toBeGreaterThanOrEqual(20);
    const redis = sb.regions[b].redis.client();
    onTestFinished(() => void redis.disconnect());
    expect(JSON.parse((await redis.get('snapshot:workload-7')) ?? 'null')).toMatchObject({
      cluster: 'workload-7',
    });
    expect(sb.invariants.violations()).toEqual([]);
  });

  it('refuses writes on the passive server, both before Redis and at the Redis fence', async () => {
    // prepare
    const sb = await useSandbox({ agents: 5 });
    const passive = sb.regions[sb.regionNames[1]].server;
    const base = `http://${passive.host}:${passive.httpPort}`;
    const before = await scrape(passive.metricsUrl);
    // act
    const asked = (await (await fetch(`${base}/write`, { method: 'POST' })).json()) as Record<
      string,
      unknown
    >;
    const forced = (await (await fetch(`${base}/write?force=1`, { method: 'POST' })).json()) as {
      accepted: number;
      refused: number;
      reasons: string[];
    };
    // assess
    expect(asked).toEqual({ accepted: 0, refused: 1, reasons: ['not-holder'] });
    expect(forced.accepted).toBe(0);
    expect(forced.reasons.join(' ')).toMatch(/lock-mismatch|READONLY/);
    const after = await scrape(passive.metricsUrl);
    expect(after.refused).toBeGreaterThanOrEqual(before.refused + 2);
    expect(after.accepted).toBe(0);
    expect(sb.invariants.violations()).toEqual([]);
  });

  it('leaves no redis-server process and no listening port behind when stopped', async () => {
    // prepare
    const sb = await startSandbox({ agents: 5 });
    onTestFinished(() => sb.stop());
    const pids = sb.regionNames.map((r) => sb.regions[r].redis.pid);
    expect(runningRedisPids()).toEqual(expect.arrayContaining(pids));
    const tcp = [
      ...sb.topology.servers.map((s) => splitHostPort(s.relayAddress)),
      ...sb.topology.servers.map((s) => ({
        host: new URL(sb.regions[s.region].server.metricsUrl).hostname,
        port: Number(new URL(sb.regions[s.region].server.metricsUrl).port),
      })),
      ...sb.regionNames.map((r) => splitHostPort(sb.regions[r].redis.endpoint)),
      { host: '127.0.0.1', port: Number(new URL(sb.controlUrl).port) },
    ];
    const dnsPort = splitHostPort(sb.dns.server).port;
    expect(await udpFree(dnsPort)).toBe(false);
    // act
    await sb.stop();
    // assess
    const left = runningRedisPids();
    for (const pid of pids) expect(left).not.toContain(pid);
    for (const { host, port } of tcp) expect(await tcpRefused(host, port), `${host}:${port}`).toBe(true);
    expect(await udpFree(dnsPort)).toBe(true);
    expect(Object.values(sb.agents.placement()).every((p) => p === null)).toBe(true);
  });
});

describe('sandbox cleanup when its process ends without stop()', () => {
  for (const how of ['exit', 'SIGTERM', 'SIGINT']) {
    it(`kills its redis-server processes on ${how}`, async () => {
      // prepare + act: a child starts a sandbox and ends abruptly
      const child = spawn(
        process.execPath,
        [fileURLToPath(new URL('./exit-child.ts', import.meta.url)), how],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      onTestFinished(() => void child.kill('SIGKILL'));
      let out = '';
      child.stdout.on('data', (d) => {
        out += String(d);
      });
      const ended = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      const pids = JSON.parse(out.trim()) as number[];
      // assess: the process ended as asked and no Redis of its sandbox survives it
      expect(pids).toHaveLength(2);
      expect(how === 'exit' ? ended.code : ended.signal).toBe(how === 'exit' ? 3 : how);
      await waitFor('the child Redis processes to be gone', () => {
        const left = runningRedisPids();
        return pids.every((p) => !left.includes(p));
      });
    });
  }
});
