/**
 * `npm run calibrate` against the sandbox: the fake meshctl speaks the vendor's documented command
 * line (Gloo docs, "CI/CD pipeline configuration") and writes the sandbox's stand-in for Gloo's
 * lock; calibrate must discover it from Redis MONITOR alone, and its snippet, pasted into the
 * topology, must make the redis-key drill converge. Bad input ends with one line and exit code 2.
 */
import '#local/quiet.ts';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDrill } from '#local/drill.ts';
import { startRedis } from '#local/redis-server.ts';
import { FAKE_MESHCTL_DIR, startSandbox } from '#local/sandbox/index.ts';
import { calibrate, formatCalibration } from '../../scripts/calibrate.ts';

const NODE = process.execPath;

/** Runs the calibrate CLI; resolves with its exit code and output. */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, ['scripts/calibrate.ts', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('calibrate', { timeout: 120_000 }, () => {
  it("prints the fake meshctl's writes and a snippet that, pasted into the topology, makes the redis-key drill converge", async () => {
    // prepare: a write-to-one sandbox (its Gloo lock names mgmt-east)
    const sb = await startSandbox({ agents: 3, configMode: 'write-to-one', lockAdapter: 'meshctl' });
    let snippet: Awaited<ReturnType<typeof calibrate>>['snippet'];
    try {
      const [a] = sb.regionNames;
      // act: calibrate runs the documented switch-active to mgmt-west against the primary, under MONITOR
      const c = await calibrate({
        redisAddress: sb.regions[a].redis.endpoint,
        seconds: 20,
        servers: sb.topology.servers.map((s) => ({ id: s.id, glooClusterName: s.glooClusterName })),
        targetServer: 'mgmt-west',
        run: {
          binary: join(FAKE_MESHCTL_DIR, 'meshctl'),
          kubeContext: 'ctx-mgmt-west',
          mgmtClusterName: 'mgmt-cluster',
          env: { ...process.env, KUBECONFIG: sb.meshctl.kubeconfig },
        },
        // The lock holder writes its translation output under MONITOR before the switch (its own
        // 250 ms timer alone may not fire before it loses the lock): a key that is not the switch's.
        onMonitoring: async () => {
          expect((await sb.regions[a].server.writeNow()).accepted).toBeGreaterThan(0);
        },
      });
      // assess: every key written is listed; the switch's two keys are picked out
      expect(c.meshctl?.exitCode).toBe(0);
      const lock = c.written.find((w) => w.key === '{gloo-mesh}:global-lock')!;
      expect(lock.before?.value).toBe('mgmt-cluster/mgmt-east');
      expect(lock.after).toMatchObject({ type: 'string', ttlMs: -1, value: 'mgmt-cluster/mgmt-west' });
      const epoch = c.written.find((w) => w.key === '{gloo-mesh}:global-lock:epoch')!;
      expect([epoch.before?.value, epoch.after.value]).toEqual(['1', '2']);
      expect(c.written.some((w) => w.key === 'gloo-mesh:translation-output')).toBe(true);
      expect(c.switchKeys.sort(), JSON.stringify(c.written.map((w) => [w.key, w.sources]))).toEqual([
        '{gloo-mesh}:global-lock',
        '{gloo-mesh}:global-lock:epoch',
      ]);
      expect(c.snippet).toEqual({
        configMode: 'write-to-one',
        lock: {
          adapter: 'redis-key',
          key: '{gloo-mesh}:global-lock',
          epochKey: '{gloo-mesh}:global-lock:epoch',
          valueFormat: '{glooClusterName}/{serverId}',
        },
      });
      const text = formatCalibration(c);
      expect(text).toMatch(
        /\* \{gloo-mesh\}:global-lock {2}\(SET\)\n {4}type {3}string -> string\n {4}TTL {4}no expiry -> no expiry\n {4}value {2}mgmt-cluster\/mgmt-east -> mgmt-cluster\/mgmt-west/,
      );
      expect(text).toMatch(/Paste into the topology/);
      snippet = c.snippet;
    } finally {
      await sb.stop();
    }
    // act 2: the snippet pasted into the topology; the redis-key drill
    const report = await runDrill({
      agents: 5,
      scenario: 'outage',
      failback: false,
      dryRun: false,
      print: false,
      lockSection: snippet!.lock,
    });
    // assess 2
    expect(report.problems).toEqual([]);
    expect(report.converged).toBe(true);
    expect(report.mode).toBe('write-to-one');
    expect(report.lock).toBe('redis-key');
  });

  it('ends with one line and exit code 2 when Redis is unreachable', async () => {
    const res = await cli(['--redis-address', '127.0.0.1:1', '--seconds', '1']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^calibrate: cannot reach Redis at 127\.0\.0\.1:1: ECONNREFUSED\n$/);
  });

  it('ends with one line and exit code 2 on a wrong password', async () => {
    const redis = await startRedis();
    const admin = redis.client();
    await admin.config('SET', 'requirepass', 'right-password');
    admin.disconnect();
    try {
      const res = await cli(['--redis-address', redis.endpoint, '--seconds', '1'], {
        REDIS_PASSWORD: 'wrong',
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/^calibrate: Redis at \S+ refused the credentials \(WRONGPASS[^\n]*\n$/);
      expect(res.stderr).not.toContain('wrong');
    } finally {
      await redis.stop();
    }
  });

  it('ends with one line and exit code 2 on a port that is not Redis', async () => {
    const server = createServer((_, res) => res.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const res = await cli(['--redis-address', `127.0.0.1:${port}`, '--seconds', '1']);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(
        /^calibrate: 127\.0\.0\.1:\d+ does not speak the Redis protocol \(answered "HTTP\/1\.1 400[^\n]*\n$/,
      );
    } finally {
      server.close();
    }
  });

  it('ends with one line and exit code 2 when no key is written in the window', async () => {
    const redis = await startRedis();
    try {
      const res = await cli(['--redis-address', redis.endpoint, '--seconds', '1']);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(
        /^MONITOR running[^\n]*\ncalibrate: no key was written on \S+ in 1 s: was switch-active run against this Redis\?\n$/,
      );
    } finally {
      await redis.stop();
    }
  });
});
