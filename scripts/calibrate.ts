/**
 * `npm run calibrate`: finds out what `meshctl experimental switch-active` writes to Redis, so the
 * `redis-key` lock adapter can be configured from observation instead of a guess (Gloo's key, value
 * and lease are not public). For a staging Gloo management plane:
 *
 *   npm run calibrate -- --redis-address HOST:6379 [--tls] [--seconds 60] [--topology FILE]
 *   npm run calibrate -- --redis-address HOST:6379 --run --kubecontext CTX --mgmt-cluster-name NAME
 *
 * It snapshots the keyspace (type, TTL, value), runs Redis `MONITOR` for a bounded time while the
 * operator runs switch-active by hand (or runs it itself with `--run`), then prints every key
 * written (type, TTL and value before/after; values that look secret are redacted) and either a
 * ready-to-paste `lock` snippet for the topology, or says plainly why the writes do not fit the
 * redis-key model (one string key naming the server, optionally an integer epoch raised by one and a
 * TTL). Credentials come from REDIS_USERNAME / REDIS_PASSWORD (never from a flag, never printed).
 * Bad input (unreachable Redis, wrong password, a port that is not Redis, no writes seen) ends with
 * one line on stderr and exit code 2.
 */
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { redact, runCommand, switchActiveArgs } from '#lib/lock/meshctl.ts';
import { connectRedis, type RedisEndpointOptions, splitHostPort } from '#lib/redis/connect.ts';
import { loadTopology, renderLockValue, type Topology } from '#lib/topology.ts';
import { startMonitor, writesOf } from '#local/monitor.ts';

/** A bad-input or environment problem: one line, exit code 2. */
export class CalibrateError extends Error {}

/** Type, TTL and value of a key at one moment (value summarised for non-strings). */
export interface KeyState {
  type: string;
  /** Milliseconds; -1 no expiry, -2 absent. */
  ttlMs: number;
  value: string | null;
}

/** One key written during the window. */
export interface WrittenKey {
  key: string;
  commands: string[];
  sources: string[];
  before: KeyState | null;
  after: KeyState;
}

/** The result of a calibration. */
export interface Calibration {
  redisAddress: string;
  seconds: number;
  written: WrittenKey[];
  /** The keys the switch itself wrote (by the client connection that wrote the lock). */
  switchKeys: string[];
  /** Ready-to-paste topology snippet, when the writes fit the redis-key model. */
  snippet: { configMode: 'write-to-one'; lock: Record<string, unknown> } | null;
  /** Why they do not fit (when `snippet` is null). */
  verdict: string;
  meshctl?: { exitCode: number | null; stdout: string; stderr: string };
}

/** Options of {@link calibrate}. */
export interface CalibrateOptions {
  redisAddress: string;
  tls?: boolean;
  username?: string;
  password?: string;
  /** How long MONITOR runs at most (with `run`: until the command ended and 1 s more). */
  seconds: number;
  /** The servers (ids and Gloo names) the lock may name; the target is the one switched to. */
  servers: { id: string; glooClusterName: string }[];
  /** The server the switch makes active (to read the value template from its value). */
  targetServer?: string;
  /** Run meshctl itself: binary and the three documented arguments. */
  run?: { binary: string; kubeContext: string; mgmtClusterName: string; env?: NodeJS.ProcessEnv };
  /** How many keys the "before" snapshot reads at most. */
  maxKeys?: number;
  /** Called (and awaited) when MONITOR is running (the operator may now run switch-active). */
  onMonitoring?: () => unknown;
}

const connectTimeoutMs = 2_000;

/**
 * Checks that something speaking RESP answers at the address, and that it takes the credentials;
 * names what is wrong otherwise. Raw RESP, so a non-Redis port or a refused password is told apart.
 */
export async function probeRedis(
  address: string,
  tls = false,
  auth?: { username?: string; password: string },
): Promise<void> {
  const { host, port } = splitHostPort(address);
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = tls
      ? tlsConnect({ host, port, servername: host, rejectUnauthorized: true })
      : tcpConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new CalibrateError(`no answer from ${address} within ${connectTimeoutMs} ms (is it reachable?)`),
      );
    }, connectTimeoutMs);
    let buf = '';
    const resp = (...parts: string[]) =>
      `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
    socket.once(tls ? 'secureConnect' : 'connect', () =>
      socket.write(
        auth ? resp('AUTH', ...(auth.username ? [auth.username] : []), auth.password) : 'PING\r\n',
      ),
    );
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n') || buf.length > 64) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buf);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CalibrateError(`cannot reach Redis at ${address}: ${e.code ?? e.message}`));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (!buf)
        reject(new CalibrateError(`${address} closed the connection without answering PING: not Redis?`));
    });
  });
  if (!/^[+-]/.test(reply))
    throw new CalibrateError(
      `${address} does not speak the Redis protocol (answered ${JSON.stringify(reply.slice(0, 40))} to PING)`,
    );
  if (/^-(WRONGPASS|ERR invalid password|ERR AUTH)/i.test(reply))
    throw new CalibrateError(
      `Redis at ${address} refused the credentials (${reply.slice(1).split(/\r?\n/)[0]!.split(' ')[0]}); check REDIS_USERNAME / REDIS_PASSWORD`,
    );
  if (/^-NOAUTH/.test(reply))
    throw new CalibrateError(
      `Redis at ${address} requires a password: set REDIS_PASSWORD (and REDIS_USERNAME for an ACL user)`,
    );
}

/** Reads type, TTL and a printable value of a key. */
async function keyState(r: ReturnType<typeof connectRedis>, key: string): Promise<KeyState> {
  const [type, ttl] = (await r.multi().type(key).pttl(key).exec())!.map(([, v]) => v) as [string, number];
  let value: string | null = null;
  if (type === 'string') value = await r.get(key);
  else if (type === 'hash') value = JSON.stringify(await r.hgetall(key));
  else if (type === 'list') value = JSON.stringify(await r.lrange(key, 0, 20));
  else if (type === 'set') value = JSON.stringify((await r.smembers(key)).slice(0, 20));
  else if (type === 'zset') value = JSON.stringify(await r.zrange(key, '0', '20', 'WITHSCORES'));
  return { type, ttlMs: ttl, value };
}

/** Values that look like credentials are not printed. */
export function printable(key: string, value: string | null): string {
  if (value === null) return '(absent)';
  if (/pass|secret|token|credential|auth|private/i.test(key)) return '<redacted: the key name looks secret>';
  const r = redact(value);
  return r.length > 160 ? `${r.slice(0, 160)}... (${r.length} chars)` : r;
}

/** Runs a calibration; see the module comment. */
export async function calibrate(o: CalibrateOptions): Promise<Calibration> {
  await probeRedis(
    o.redisAddress,
    o.tls,
    o.password ? { password: o.password, ...(o.username ? { username: o.username } : {}) } : undefined,
  );
  const opts: RedisEndpointOptions = {
    tls: o.tls,
    ...(o.password
      ? { auth: { password: o.password, ...(o.username ? { username: o.username } : {}) } }
      : {}),
    connectTimeoutMs,
    commandTimeoutMs: 5_000,
  };
  const r = connectRedis(o.redisAddress, opts);
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    r.disconnect();
    const msg = (e as Error).message;
    if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(msg))
      throw new CalibrateError(
        `Redis at ${o.redisAddress} refused the credentials (${msg.split('\n')[0]}); set REDIS_USERNAME / REDIS_PASSWORD`,
      );
    throw new CalibrateError(`cannot use Redis at ${o.redisAddress}: ${msg}`);
  }
  try {
    // Before: the keyspace, bounded.
    const before = new Map<string, KeyState>();
    const max = o.maxKeys ?? 5_000;
    let cursor = '0';
    let complete = true;
    do {
      const [next, keys] = await r.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const k of keys) {
        if (before.size >= max) {
          complete = false;
          break;
        }
        before.set(k, await keyState(r, k));
      }
    } while (cursor !== '0' && complete);

    const monitor = await startMonitor(o.redisAddress, opts);
    await o.onMonitoring?.();
    let meshctl: Calibration['meshctl'];
    try {
      if (o.run) {
        const deadline = o.seconds * 1000;
        meshctl = await runSwitch(o.run, o.redisAddress, deadline);
        await new Promise((res) => setTimeout(res, 1_000));
      } else await new Promise((res) => setTimeout(res, o.seconds * 1000));
    } finally {
      await monitor.stop();
    }

    const byKey = new Map<string, { commands: Set<string>; sources: Set<string> }>();
    for (const w of writesOf(monitor.commands)) {
      const e = byKey.get(w.key) ?? { commands: new Set(), sources: new Set() };
      e.commands.add(w.command);
      e.sources.add(w.source);
      byKey.set(w.key, e);
    }
    const written: WrittenKey[] = [];
    for (const [key, e] of [...byKey].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const after = await keyState(r, key);
      const b = before.get(key) ?? (complete ? { type: 'none', ttlMs: -2, value: null } : null);
      written.push({ key, commands: [...e.commands], sources: [...e.sources], before: b, after });
    }
    const result = fitRedisKey(written, o);
    return {
      redisAddress: o.redisAddress,
      seconds: o.seconds,
      written,
      ...result,
      ...(meshctl ? { meshctl } : {}),
    };
  } finally {
    r.disconnect();
  }
}

/**
 * Runs the documented switch-active command line, bounded by `deadlineMs`: the meshctl lock
 * adapter's own argv and runner (process group killed at the deadline, output redacted).
 */
async function runSwitch(
  run: NonNullable<CalibrateOptions['run']>,
  redisAddress: string,
  deadlineMs: number,
): Promise<NonNullable<Calibration['meshctl']>> {
  const req = { kubeContext: run.kubeContext, mgmtClusterName: run.mgmtClusterName, redisAddress };
  const res = await runCommand(run.binary, switchActiveArgs(req), run.env ?? process.env, deadlineMs);
  return { exitCode: res.exitCode, stdout: res.stdout, stderr: res.stderr };
}

/** Does what the switch wrote fit the redis-key model? If so, the snippet. */
function fitRedisKey(
  written: WrittenKey[],
  o: CalibrateOptions,
): Pick<Calibration, 'snippet' | 'verdict' | 'switchKeys'> {
  const no = (verdict: string, switchKeys: string[] = []) => ({ snippet: null, verdict, switchKeys });
  if (written.length === 0)
    return no('no key was written while MONITOR ran: was switch-active run against this Redis?');
  const target = o.servers.find((s) => s.id === o.targetServer) ?? null;
  const names = target
    ? [target.id, target.glooClusterName]
    : o.servers.flatMap((s) => [s.id, s.glooClusterName]);
  // Which connection is the switch: the management servers keep writing (snapshots, translation
  // output) over many keys; switch-active's connection touches a few. A "lean" connection touched
  // at most three keys in the window.
  const keysBySource = new Map<string, Set<string>>();
  for (const w of written)
    for (const src of w.sources) keysBySource.set(src, (keysBySource.get(src) ?? new Set()).add(w.key));
  const lean = new Set([...keysBySource].filter(([, keys]) => keys.size <= 3).map(([src]) => src));
  // The lock: a string a lean connection wrote whose new value names the target server (or, without one, any server).
  const lockCandidates = written.filter(
    (w) =>
      w.after.type === 'string' &&
      w.after.value !== null &&
      names.some((n) => w.after.value!.includes(n)) &&
      w.sources.some((src) => lean.has(src)),
  );
  if (lockCandidates.length === 0)
    return no(
      `none of the ${written.length} keys written holds a string naming ${target ? `server ${target.id} or ${target.glooClusterName}` : 'a server of the topology'}: the writes do not fit the redis-key model (or the switch did not run)`,
    );
  // The switch's writes: everything written by the client connection(s) that wrote the lock.
  const sources = new Set(lockCandidates.flatMap((w) => w.sources).filter((src) => lean.has(src)));
  const switchWrites = written.filter((w) => w.sources.some((s) => sources.has(s)));
  const switchKeys = switchWrites.map((w) => w.key);
  if (lockCandidates.length > 1)
    return no(
      `more than one key names the server (${lockCandidates.map((w) => w.key).join(', ')}): not a single lock key`,
      switchKeys,
    );
  const lock = lockCandidates[0]!;
  const epochs = switchWrites.filter(
    (w) =>
      w !== lock &&
      w.after.type === 'string' &&
      /^\d+$/.test(w.after.value ?? '') &&
      Number(w.after.value) === Number(w.before?.value ?? 0) + 1,
  );
  const others = switchWrites.filter((w) => w !== lock && !epochs.includes(w));
  if (others.length)
    return no(
      `the switch also wrote ${others.map((w) => `${w.key} (${w.after.type})`).join(', ')}: the redis-key adapter writes one lock key and one epoch key only`,
      switchKeys,
    );
  if (epochs.length > 1)
    return no(`more than one counter rose by one (${epochs.map((w) => w.key).join(', ')})`, switchKeys);
  // The value template: the server's names replaced by placeholders; it must tell the two apart.
  const who = target ?? o.servers.find((s) => lock.after.value!.includes(s.id)) ?? o.servers[0]!;
  let template = lock.after.value!;
  if (template.includes(who.id)) template = template.replaceAll(who.id, '{serverId}');
  if (who.glooClusterName !== who.id && template.includes(who.glooClusterName))
    template = template.replaceAll(who.glooClusterName, '{glooClusterName}');
  const renders = o.servers.map((s) => renderLockValue(template, s));
  if (!template.includes('{') || new Set(renders).size < o.servers.length)
    return no(
      `the lock value ${JSON.stringify(lock.after.value)} does not tell the servers apart by their ids (${o.servers.map((s) => s.id).join(', ')}): name the servers in the topology after what the value holds, then calibrate again`,
      switchKeys,
    );
  const ttl = lock.after.ttlMs > 0 ? Math.max(1, Math.round(lock.after.ttlMs / 1000)) : undefined;
  const epoch = epochs[0];
  return {
    snippet: {
      configMode: 'write-to-one',
      lock: {
        adapter: 'redis-key',
        key: lock.key,
        ...(epoch ? { epochKey: epoch.key } : {}),
        valueFormat: template,
        ...(ttl ? { ttlSeconds: ttl } : {}),
      },
    },
    verdict: `fits the redis-key model: ${lock.key} names the server${epoch ? `, ${epoch.key} rose by one` : ' (no epoch key seen: the adapter keeps its own, <key>:epoch)'}${ttl ? `, TTL about ${ttl} s (Gloo renews it; the adapter writes it with this TTL)` : ''}`,
    switchKeys,
  };
}

/** The report as text. */
export function formatCalibration(c: Calibration): string {
  const lines: string[] = [];
  const ttl = (ms: number) => (ms === -2 ? 'absent' : ms === -1 ? 'no expiry' : `${Math.round(ms / 1000)} s`);
  lines.push(`Redis ${c.redisAddress}: ${c.written.length} key(s) written while MONITOR ran`);
  if (c.meshctl)
    lines.push(
      `meshctl exited ${c.meshctl.exitCode}: ${(c.meshctl.stdout + c.meshctl.stderr).trim().split('\n')[0] ?? ''}`,
    );
  for (const w of c.written) {
    const mark = c.switchKeys.includes(w.key) ? '*' : ' ';
    lines.push(`${mark} ${w.key}  (${w.commands.join(', ')})`);
    lines.push(
      `    type   ${w.before?.type ?? '?'} -> ${w.after.type}`,
      `    TTL    ${w.before ? ttl(w.before.ttlMs) : '?'} -> ${ttl(w.after.ttlMs)}`,
      `    value  ${w.before ? printable(w.key, w.before.value) : '(not captured)'} -> ${printable(w.key, w.after.value)}`,
    );
  }
  lines.push('', `* = written by the switch's connection`, '', `verdict: ${c.verdict}`);
  if (c.snippet)
    lines.push(
      '',
      'Paste into the topology (top level; write-to-one requires the same glooClusterName on both servers):',
      JSON.stringify(c.snippet, null, 2),
    );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'redis-address': { type: 'string' },
      tls: { type: 'boolean', default: false },
      seconds: { type: 'string', default: '60' },
      topology: { type: 'string' },
      server: { type: 'string' },
      run: { type: 'boolean', default: false },
      kubecontext: { type: 'string' },
      'mgmt-cluster-name': { type: 'string' },
      meshctl: { type: 'string', default: 'meshctl' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run calibrate -- --redis-address HOST:PORT [--tls] [--seconds N] [--topology FILE] [--server ID]\n' +
        '                           [--run --kubecontext CTX --mgmt-cluster-name NAME [--meshctl PATH]] [--json]\n' +
        'Credentials: REDIS_USERNAME / REDIS_PASSWORD in the environment.\n',
    );
    return;
  }
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
    throw new CalibrateError(`--seconds: expected 1 to 3600, got ${values.seconds}`);
  let t: Topology | undefined;
  if (values.topology) t = loadTopology(values.topology);
  const target = values.server ? t?.servers.find((s) => s.id === values.server) : undefined;
  if (values.server && t && !target)
    throw new CalibrateError(
      `--server: expected one of ${t.servers.map((s) => s.id).join(', ')}, got ${values.server}`,
    );
  const address =
    values['redis-address'] ??
    (target && t ? t.redis.members[target.region]?.endpoint : undefined) ??
    (t ? Object.values(t.redis.members)[0]?.endpoint : undefined);
  if (!address) throw new CalibrateError('--redis-address: missing (or give --topology and --server)');
  if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(address))
    throw new CalibrateError(`--redis-address: expected host:port, got ${JSON.stringify(address)}`);
  if (values.run && (!values.kubecontext || !values['mgmt-cluster-name']))
    throw new CalibrateError(
      '--run needs --kubecontext and --mgmt-cluster-name (the documented switch-active flags)',
    );
  const servers =
    t?.servers.map((s) => ({ id: s.id, glooClusterName: s.glooClusterName })) ??
    (values['mgmt-cluster-name']
      ? [{ id: values.kubecontext ?? 'target', glooClusterName: values['mgmt-cluster-name'] }]
      : []);
  const c = await calibrate({
    redisAddress: address,
    tls: values.tls || (t?.redis.tls ?? false),
    ...(process.env.REDIS_PASSWORD ? { password: process.env.REDIS_PASSWORD } : {}),
    ...(process.env.REDIS_USERNAME ? { username: process.env.REDIS_USERNAME } : {}),
    seconds,
    servers,
    ...(values.server ? { targetServer: values.server } : {}),
    ...(values.run
      ? {
          run: {
            binary: values.meshctl!,
            kubeContext: values.kubecontext!,
            mgmtClusterName: values['mgmt-cluster-name']!,
          },
        }
      : {}),
    onMonitoring: () =>
      process.stderr.write(
        values.run
          ? `MONITOR running on ${address}; running meshctl experimental switch-active now\n`
          : `MONITOR running on ${address} for ${seconds} s: run meshctl experimental switch-active now\n`,
      ),
  });
  if (c.written.length === 0)
    throw new CalibrateError(
      `no key was written on ${address} in ${seconds} s: was switch-active run against this Redis?`,
    );
  process.stdout.write(`${values.json ? JSON.stringify(c, null, 2) : formatCalibration(c)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: Error) => {
    process.stderr.write(
      `calibrate: ${e instanceof CalibrateError ? e.message : `${e.name}: ${e.message}`}\n`,
    );
    process.exitCode = 2;
  });
}

/** Reads a snippet file written from calibrate's output (tests, drill --lock-file). */
export function readSnippet(path: string): Calibration['snippet'] {
  return JSON.parse(readFileSync(path, 'utf8')) as Calibration['snippet'];
}
