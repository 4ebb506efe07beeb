/**
 * The meshctl lock adapter and the sandbox's fake meshctl. The command line is the vendor's
 * (Gloo docs, "CI/CD pipeline configuration": `meshctl experimental switch-active --kubecontext
 * CTX --mgmt-cluster-name NAME --redis-address ADDR`); unknown flags are refused the way a cobra
 * CLI refuses them. Timeouts fire from an injected timer: no test waits for one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MeshctlSwitchActive, redact, runCommand, switchActiveArgs, type Timer } from '#lib/lock/meshctl.ts';
import { FAKE_MESHCTL_DIR } from '#local/sandbox/index.ts';

const FAKE = join(FAKE_MESHCTL_DIR, 'meshctl');
const noTimer: Timer = () => () => {};

/** A timer the test fires by hand. */
function manualTimer(): { timer: Timer; fire: () => void; armedMs: () => number | null } {
  let fire: (() => void) | null = null;
  let ms: number | null = null;
  return {
    timer: (t, f) => {
      ms = t;
      fire = f;
      return () => {
        fire = null;
      };
    },
    fire: () => fire?.(),
    armedMs: () => ms,
  };
}

function kubeDir(faults?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshctl-test-'));
  writeFileSync(join(dir, 'config'), JSON.stringify({ contexts: [], clusters: [] }));
  if (faults) writeFileSync(join(dir, 'meshctl-faults.json'), JSON.stringify(faults));
  return dir;
}

describe('meshctl lock adapter', () => {
  it('builds exactly the documented command line', () => {
    expect(
      switchActiveArgs({
        kubeContext: 'ctx-west',
        mgmtClusterName: 'mgmt-cluster',
        redisAddress: 'r.example:6379',
      }),
    ).toEqual([
      'experimental',
      'switch-active',
      '--kubecontext',
      'ctx-west',
      '--mgmt-cluster-name',
      'mgmt-cluster',
      '--redis-address',
      'r.example:6379',
    ]);
  });

  it('captures exit code, stdout and stderr of a failing command, with secrets redacted', async () => {
    // prepare
    const dir = kubeDir({
      mode: 'fail',
      exitCode: 3,
      stderr: 'Error: auth failed: password=hunter2 token k8s-aws-v1.abcDEF_123',
    });
    const m = new MeshctlSwitchActive({
      binary: FAKE,
      timeoutMs: 30_000,
      timer: noTimer,
      env: { ...process.env, KUBECONFIG: join(dir, 'config') },
    });
    // act
    const res = await m.run({
      kubeContext: 'ctx',
      mgmtClusterName: 'mgmt-cluster',
      redisAddress: '127.0.0.1:1',
    });
    // assess
    expect(res).toMatchObject({ exitCode: 3, timedOut: false, stdout: '' });
    expect(res.stderr).toContain('Error: auth failed');
    expect(res.stderr).not.toContain('hunter2');
    expect(res.stderr).not.toContain('abcDEF_123');
    expect(res.argv.slice(1)).toEqual(
      switchActiveArgs({ kubeContext: 'ctx', mgmtClusterName: 'mgmt-cluster', redisAddress: '127.0.0.1:1' }),
    );
  });

  it('kills a hanging command when its timeout fires, and says so', async () => {
    // prepare: the fake hangs; the timer is fired by the test, not waited for
    const dir = kubeDir({ mode: 'hang' });
    const t = manualTimer();
    const m = new MeshctlSwitchActive({
      binary: FAKE,
      timeoutMs: 1_500,
      timer: t.timer,
      env: { ...process.env, KUBECONFIG: join(dir, 'config') },
    });
    // act
    const pending = m.run({
      kubeContext: 'ctx',
      mgmtClusterName: 'mgmt-cluster',
      redisAddress: '127.0.0.1:1',
    });
    await new Promise((r) => setTimeout(r, 400)); // let the process start (not a timeout wait)
    t.fire();
    const res = await pending;
    // assess
    expect(t.armedMs()).toBe(1_500);
    expect(res).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(res.stderr).toMatch(/killed after the 1500 ms timeout/);
  });

  it('reports a missing executable as a failed run, not a crash', async () => {
    const res = await runCommand('/nonexistent/meshctl', ['experimental'], process.env, 1_000, noTimer);
    expect(res).toMatchObject({ exitCode: null, timedOut: false });
    expect(res.stderr).toMatch(/command not found/);
  });

  it('redacts tokens, passwords and URL credentials', () => {
    expect(redact('redis://user:pa55@host:6379 password: x1 Bearer abc.def')).toBe(
      'redis://<redacted>@host:6379 password: <redacted> Bearer <redacted>',
    );
  });
});

describe('the sandbox fake meshctl', () => {
  const run = (args: string[]) => runCommand(FAKE, args, { ...process.env, KUBECONFIG: '' }, 30_000, noTimer);

  it('refuses an unknown flag like a cobra CLI: "Error: unknown flag", usage, exit code 1', async () => {
    const res = await run(['experimental', 'switch-active', '--kubecontext', 'a', '--force']);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(
      /^Error: unknown flag: --force\nUsage:\n {2}meshctl experimental switch-active \[flags\]/,
    );
  });

  it('refuses missing required flags, naming them', async () => {
    const res = await run(['x', 'switch-active', '--kubecontext', 'a']);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^Error: required flag\(s\) "mgmt-cluster-name", "redis-address" not set/);
  });

  it('refuses an unknown command', async () => {
    const res = await run(['experimental', 'switch-passive']);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^Error: unknown command "switch-passive" for "meshctl experimental"/);
  });

  it('refuses a kube context that is not in the kubeconfig', async () => {
    const dir = kubeDir();
    const res = await runCommand(
      FAKE,
      [
        'experimental',
        'switch-active',
        '--kubecontext',
        'nope',
        '--mgmt-cluster-name',
        'm',
        '--redis-address',
        '127.0.0.1:1',
      ],
      { ...process.env, KUBECONFIG: join(dir, 'config') },
      30_000,
      noTimer,
    );
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^Error: context "nope" does not exist/);
  });
});
