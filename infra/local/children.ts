/**
 * Child processes of the sandbox that never outlive the process that started them, however it
 * ends: `exit`, a signal it handles, or SIGKILL / the OOM killer / a closed terminal, which run no
 * handler at all.
 *
 * Mechanism: the Linux parent-death signal. Each child is started through `setpriv --pdeathsig
 * KILL <command>` (util-linux, present on every Debian/Ubuntu base system): setpriv sets
 * PR_SET_PDEATHSIG and execs the command, so the pid we hold is the command's own (freeze, thaw and
 * kill signal it directly) and the kernel itself sends SIGKILL when our process dies. Chosen over a
 * watchdog on a pipe, which needs one more process (and a shell) per child, hands us the watchdog's
 * pid instead of the server's, and depends on that watchdog being scheduled. Two limits, both
 * covered by the state directory below: the signal fires when the thread that spawned the child
 * ends (libuv spawns from the event-loop thread, which lives as long as the process or worker), and
 * there is no setpriv off Linux (the child is then started directly).
 *
 * Record: every child is written to the state directory (`GLOO_SANDBOX_STATE_DIR`, default
 * `<tmpdir>/gloo-sandbox-<uid>`) as `<owner pid>-<child pid>.json`: its pid, port, command, start
 * time (the kernel's, /proc/<pid>/stat field 22) and its owner's pid and start time; the record is
 * removed when the child exits. {@link reapStale} (run at the first spawn of a process and by every
 * sandbox start) kills the children of owners that are gone, and only a process whose pid, start
 * time and command all match its record: a pid reused by anything else is never touched.
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';

/** What the state directory records about one child. */
export interface ChildRecord {
  pid: number;
  /** The port it serves, when it has one (for people reading the directory). */
  port?: number;
  /** The command as started (its basename is checked against the process before a kill). */
  command: string;
  /** The kernel's start time of the process (clock ticks since boot), identifying it with its pid. */
  startTime: string;
  ownerPid: number;
  ownerStartTime: string;
  /** Wall-clock start, ISO 8601. */
  startedAt: string;
}

/** The state directory of this user's sandboxes. */
export function stateDir(): string {
  return process.env.GLOO_SANDBOX_STATE_DIR ?? join(tmpdir(), `gloo-sandbox-${userInfo().uid}`);
}

/** The fields of /proc/<pid>/stat after the command name, or undefined when there is no such process. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The kernel start time of a live (not zombie) process, or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  const f = statFields(pid);
  // f[0] is field 3 (state), so field 22 (starttime) is f[19].
  if (!f || f[0] === 'Z' || f[0] === 'X') return undefined;
  return f[19];
}

/** The command name a process runs now (argv[0] basename; redis-server retitles but keeps it first). */
function commandOf(pid: number): string | undefined {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/)[0];
    return argv0 ? basename(argv0) : undefined;
  } catch {
    return undefined;
  }
}

let setprivAvailable: boolean | undefined;
function hasSetpriv(): boolean {
  if (setprivAvailable === undefined)
    setprivAvailable =
      process.platform === 'linux' && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
  return setprivAvailable;
}

let reapedOnce = false;

/**
 * Spawns `command` so that it dies with this process (see the module comment) and records it in
 * the state directory until it exits.
 */
export function spawnOwned(
  command: string,
  args: string[],
  options: SpawnOptions & { port?: number } = {},
): ChildProcess {
  if (!reapedOnce) {
    reapedOnce = true;
    reapStale();
  }
  const { port, ...spawnOptions } = options;
  const child = hasSetpriv()
    ? spawn('setpriv', ['--pdeathsig', 'KILL', command, ...args], spawnOptions)
    : spawn(command, args, spawnOptions);
  const pid = child.pid;
  if (pid === undefined) return child; // failed to start: the 'error' event says why
  const dir = stateDir();
  const file = join(dir, `${process.pid}-${pid}.json`);
  const record: ChildRecord = {
    pid,
    ...(port !== undefined ? { port } : {}),
    command,
    startTime: processStartTime(pid) ?? '',
    ownerPid: process.pid,
    ownerStartTime: processStartTime(process.pid) ?? '',
    startedAt: new Date().toISOString(),
  };
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(record)}\n`);
    child.once('exit', () => rmSync(file, { force: true }));
  } catch {
    // An unwritable state directory loses only the reaping of leftovers, never the child.
  }
  return child;
}

/** The records of the state directory (unreadable ones skipped). */
export function readRecords(dir = stateDir()): { file: string; record: ChildRecord }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+-\d+\.json$/.test(n));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      return [{ file: join(dir, n), record: JSON.parse(readFileSync(join(dir, n), 'utf8')) as ChildRecord }];
    } catch {
      return [];
    }
  });
}

/** What {@link reapStale} did. */
export interface ReapResult {
  /** Children of dead owners, killed. */
  killed: ChildRecord[];
  /** Records of dead owners whose process was already gone or is not the one recorded (pid reused): removed, nothing killed. */
  forgotten: ChildRecord[];
  /** Records of live owners: untouched. */
  kept: ChildRecord[];
}

/**
 * Kills the leftovers of owners that are gone and removes their records; never touches a live
 * owner's children, nor a process whose pid, start time and command do not all match its record.
 */
export function reapStale(dir = stateDir()): ReapResult {
  const out: ReapResult = { killed: [], forgotten: [], kept: [] };
  for (const { file, record: r } of readRecords(dir)) {
    const ownerAlive = r.ownerStartTime !== '' && processStartTime(r.ownerPid) === r.ownerStartTime;
    if (ownerAlive) {
      out.kept.push(r);
      continue;
    }
    const same =
      r.startTime !== '' &&
      processStartTime(r.pid) === r.startTime &&
      commandOf(r.pid) === basename(r.command);
    if (same) {
      try {
        process.kill(r.pid, 'SIGCONT'); // a frozen (SIGSTOPped) leftover
        process.kill(r.pid, 'SIGKILL');
        out.killed.push(r);
      } catch {
        out.forgotten.push(r);
      }
    } else out.forgotten.push(r);
    rmSync(file, { force: true });
  }
  return out;
}
