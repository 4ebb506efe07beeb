import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { type ChildRecord, processStartTime, readRecords } from '#local/children.ts';
import { freePort } from '#local/redis-server.ts';
import { startSandbox } from '#local/sandbox/index.ts';
import { waitFor } from './support.ts';

// Real processes, real signals: the waits below are bounded polls of /proc, not timeouts.
const alive = (pid: number) => processStartTime(pid) !== undefined;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
let savedDir: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gloo-sandbox-state-'));
  savedDir = process.env.GLOO_SANDBOX_STATE_DIR;
  process.env.GLOO_SANDBOX_STATE_DIR = dir;
});
afterEach(() => {
  if (savedDir === undefined) delete process.env.GLOO_SANDBOX_STATE_DIR;
  else process.env.GLOO_SANDBOX_STATE_DIR = savedDir;
});

/** A node child of this test with the test's state directory; killed when the test ends. */
function nodeChild(args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, GLOO_SANDBOX_STATE_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  return { child, out: () => out };
}

/** The live children the state directory records for `owner`. */
const liveChildrenOf = (owner: number) =>
  readRecords(dir)
    .map((r) => r.record)
    .filter((r) => r.ownerPid === owner && processStartTime(r.pid) === r.startTime);

describe('sandbox child processes', () => {
  it('leaves no redis-server of a drill alive 2 s after the drill is killed with SIGKILL mid-run', async () => {
    // prepare: a real drill, until its failover workflow runs
    const { child, out } = nodeChild(['infra/local/drill.ts', '--agents', '4']);
    await waitFor('the drill to run its workflow', () => out().includes('▶'), 20_000);
    const running = liveChildrenOf(child.pid!);
    expect(running.length, out()).toBeGreaterThan(0);
    expect(running.every((r) => r.command === 'redis-server')).toBe(true);
    // act: kill -9, which runs no handler in the drill
    child.kill('SIGKILL');
    // assess
    await waitFor('the drill to be gone', () => child.exitCode !== null || child.signalCode !== null, 2_000);
    const gone = await waitFor(
      "the drill's redis-server processes to be gone",
      () => running.every((r) => !alive(r.pid)),
      2_000,
    );
    expect(gone).toBe(true);
  }, 40_000);

  it("reaps a dead owner's leftover at sandbox start, leaving a live sandbox of another owner and a reused pid untouched", async () => {
    // prepare: another owner's live sandbox
    const other = nodeChild([fileURLToPath(new URL('./exit-child.ts', import.meta.url)), 'wait']);
    const otherPids = await waitFor('the other sandbox to start', () => {
      const line = other.out().split('\n')[0];
      return line?.startsWith('[') ? (JSON.parse(line) as number[]) : undefined;
    });
    // a dead owner: its start time was recorded, then it ended
    const owner = spawn('sleep', ['30']);
    const ownerStartTime = processStartTime(owner.pid!)!;
    owner.kill('SIGKILL');
    await waitFor('the owner to end', () => !alive(owner.pid!));
    // its leftover: a redis-server nobody kills any more (started here without the parent-death signal)
    const port = await freePort();
    const leftover = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], {
      stdio: 'ignore',
    });
    onTestFinished(() => void leftover.kill('SIGKILL'));
    await waitFor('the leftover to run', () => alive(leftover.pid!));
    // and a record whose pid now belongs to a process the sandbox did not start
    const stranger = spawn('sleep', ['30']);
    onTestFinished(() => void stranger.kill('SIGKILL'));
    const record = (pid: number, startTime: string): ChildRecord => ({
      pid,
      port,
      command: 'redis-server',
      startTime,
      ownerPid: owner.pid!,
      ownerStartTime,
      startedAt: new Date().toISOString(),
    });
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `${owner.pid}-${leftover.pid}.json`),
      JSON.stringify(record(leftover.pid!, processStartTime(leftover.pid!)!)),
    );
    writeFileSync(join(dir, `${owner.pid}-${stranger.pid}.json`), JSON.stringify(record(stranger.pid!, '1')));
    // act
    const sb = await startSandbox({ agents: 1 });
    onTestFinished(() => sb.stop());
    // assess: the leftover is killed and forgotten, the stranger forgotten but alive
    await waitFor('the leftover to be gone', () => !alive(leftover.pid!), 2_000);
    expect(alive(stranger.pid!)).toBe(true);
    const owners = readRecords(dir).map((r) => r.record.ownerPid);
    expect(owners).not.toContain(owner.pid);
    // the other owner's sandbox is untouched: its Redis run and are still recorded
    expect(otherPids).toHaveLength(2);
    for (const pid of otherPids) expect(alive(pid), `pid ${pid}`).toBe(true);
    expect(
      liveChildrenOf(other.child.pid!)
        .map((r) => r.pid)
        .sort(),
    ).toEqual([...otherPids].sort());
    // and this sandbox's own are recorded under this process
    expect(
      liveChildrenOf(process.pid)
        .map((r) => r.pid)
        .sort(),
    ).toEqual(sb.regionNames.map((r) => sb.regions[r].redis.pid).sort());
  }, 40_000);
});
