/**
 * `npm run status` against a running sandbox: the right active server before and after a failover
 * (exit 0), a forced split brain and DNS on the passive server (exit 1, named), bad input (exit 2).
 * The DNS answer is a real UDP query to the sandbox's DNS server (the data plane), not its zone.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withRedis } from '#lib/redis/connect.ts';
import { runWorkflow } from '#local/runner.ts';
import type { Sandbox } from '#local/sandbox/index.ts';
import { sandboxPorts } from '#local/sandbox/ports.ts';
import { useSandbox } from '#local/sandbox/testing.ts';
import { statusCommand } from '../../infra/ops/status.ts';

const dir = mkdtempSync(join(tmpdir(), 'status-'));

function topologyFile(sb: Sandbox): string {
  const file = join(dir, `${crypto.randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(sb.topology));
  return file;
}

async function status(sb: Sandbox, file = topologyFile(sb)) {
  let text = '';
  const code = await statusCommand(['--topology', file, '--dns-server', sb.dns.server], (s) => {
    text += s;
  });
  return { code, text };
}

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not reached: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('npm run status on the sandbox', () => {
  it('names the active server before and after a failover, and exits 0 both times', async () => {
    // prepare
    const sb = await useSandbox({ agents: 3 });
    const [east, west] = sb.clusters;
    // act
    const before = await status(sb);
    const run = await runWorkflow({
      topology: sb.topology,
      direction: 'failover',
      targetServer: west,
      input: { trigger: 'manual', incidentId: 'status-test', force: { skipVerification: true } },
      ports: sandboxPorts(sb.topology),
    });
    await sb.agents.waitAllOn(west, 10_000);
    const after = await status(sb);
    // assess
    expect(before.code, before.text).toBe(0);
    expect(before.text).toContain(`${east} (us-east-1, home, common.cluster mgmt-cluster): ACTIVE`);
    expect(before.text).toMatch(new RegExp(`${west} \\(us-west-2.*\\): passive\\n  lock +${east} @ epoch 1`));
    expect(before.text).toContain('3 connected, 3 warmed');
    expect(before.text).toContain(`CONSISTENT: ${east} is active`);
    expect(run.endState).toBe('FailedOver');
    expect(after.code, after.text).toBe(0);
    expect(after.text).toContain(`${west} (us-west-2, common.cluster mgmt-cluster): ACTIVE`);
    expect(after.text).toContain(`-> ${west}`);
    expect(after.text).toContain(`CONSISTENT: ${west} is active`);
    expect(after.text).toMatch(/ready +yes: could take over now/);
    expect(after.text).toMatch(/last run {2}failover .*: SUCCEEDED -> FailedOver/);
    expect(before.text).toContain('last run  none recorded');
  });

  it('exits 1 naming the split brain when both Redis members are writable', async () => {
    // prepare: data-layer fencing off (redis.minReplicasToWrite 0), else neither would be writable
    const sb = await useSandbox({ agents: 2, dataFencing: false });
    await withRedis(sb.regions['us-west-2'].redis.endpoint, {}, (r) => r.call('REPLICAOF', 'NO', 'ONE'));
    // act
    const { code, text } = await status(sb);
    // assess
    expect(code, text).toBe(1);
    expect(text).toContain('INCONSISTENT');
    expect(text).toMatch(
      /split brain: two writable Redis members \(us-east-1: lock mgmt-east@1; us-west-2: lock mgmt-east@1\)/,
    );
  });

  it('with data-layer fencing, a replica detached by hand makes no split brain: both primaries refuse writes, and it says so', async () => {
    // prepare: B leaves replication; A loses its only replica (min-replicas-to-write 1 on both)
    const sb = await useSandbox({ agents: 2 });
    await withRedis(sb.regions['us-west-2'].redis.endpoint, {}, (r) => r.call('REPLICAOF', 'NO', 'ONE'));
    await until('both refuse writes', async () => {
      const refused = await Promise.all(
        sb.regionNames.map((region) =>
          withRedis(sb.regions[region].redis.endpoint, {}, (r) => r.set('status-probe', '1')).then(
            () => false,
            (e: Error) => /^NOREPLICAS/.test(e.message),
          ),
        ),
      );
      return refused.every(Boolean);
    });
    // act
    const { code, text } = await status(sb);
    // assess
    expect(code, text).toBe(1);
    expect(text).not.toContain('split brain');
    expect(text).toMatch(
      /no writable Redis member: the primary in us-east-1 refuses writes \(connected_slaves=0 good_replicas=0 \(refuses writes: min-replicas-to-write 1\)\)/,
    );
    expect(text).toContain('the primary in us-west-2 refuses writes');
  });

  it('exits 1 naming the passive server when the DNS answer points at it', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    sb.dns.pointTo(sb.clusters[1]);
    await until(
      'the new record is served',
      () => sb.dns.served()?.values[0] === sb.topology.dns.values[sb.clusters[1]],
    );
    // act
    const { code, text } = await status(sb);
    // assess
    expect(code, text).toBe(1);
    expect(text).toContain(`points at the passive server ${sb.clusters[1]}`);
    expect(text).toContain(`the active one is ${sb.clusters[0]}`);
  });

  for (const dataFencing of [false, true])
    it(`says why the passive server could not take over when its region is down (data-layer fencing ${dataFencing ? 'on: the active primary then refuses writes, exit 1' : 'off: exit 0'})`, async () => {
      // prepare
      const sb = await useSandbox({ agents: 2, dataFencing });
      await sb.killRegion('us-west-2');
      // act
      const { code, text } = await status(sb);
      // assess
      expect(text).toMatch(
        /ready +NO: health check fails \(ECONNREFUSED\); relay port does not answer \(ECONNREFUSED\); its Redis member does not answer/,
      );
      // The price of min-replicas-to-write (docs/reliability.md): the active primary lost its only
      // replica and refuses writes; status names it rather than calling the plane consistent.
      expect(code, text).toBe(dataFencing ? 1 : 0);
      if (dataFencing)
        expect(text).toContain('no writable Redis member: the primary in us-east-1 refuses writes');
    });

  it('runs as a command: `npm run status -- --topology FILE` exits 0 and prints the screen', async () => {
    // prepare
    const sb = await useSandbox({ agents: 2 });
    const file = topologyFile(sb);
    // act
    // Asynchronously: the sandbox answers from this process's event loop.
    const res = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['infra/ops/status.ts', '--topology', file, '--dns-server', sb.dns.server],
        { encoding: 'utf8', timeout: 20_000 },
        (_e, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
      );
    });
    // assess
    expect(res.status, res.stderr + res.stdout).toBe(0);
    expect(res.stdout).toContain(`CONSISTENT: ${sb.clusters[0]} is active`);
  });

  it('refuses bad input with the field named, and reads nothing', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', servers: [] }));
    const res = spawnSync(process.execPath, ['infra/ops/status.ts', '--topology', bad], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/servers: expected exactly two management servers/);
    const port = spawnSync(
      process.execPath,
      ['infra/ops/status.ts', '--topology', bad, '--dns-server', 'nope'],
      {
        encoding: 'utf8',
      },
    );
    expect(port.status).toBe(2);
    expect(port.stderr).toContain('--dns-server: expected HOST:PORT');
  });
});
