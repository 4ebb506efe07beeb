/**
 * Redis `MONITOR`, kept as a list: every command the server processes while it runs, with its
 * arguments. Used by the drill (to show which keys a run wrote) and by calibrate.
 */
import type { Redis } from 'ioredis';
import { connectRedis, type RedisEndpointOptions } from '#lib/redis/connect.ts';

/** One command seen by MONITOR. */
export interface MonitoredCommand {
  /** Server time, seconds since the epoch. */
  time: number;
  /** Command name (lower case) and arguments. */
  args: string[];
  /** `ip:port` of the client that sent it. */
  source: string;
}

/** A running MONITOR. */
export interface Monitor {
  readonly commands: MonitoredCommand[];
  /** Stops monitoring; idempotent. */
  stop(): Promise<void>;
}

/** Commands that write a key (the first key is their first argument), as far as calibrate and the drill care. */
export const WRITE_COMMANDS = new Set([
  'set',
  'setex',
  'psetex',
  'setnx',
  'getset',
  'getdel',
  'getex',
  'incr',
  'incrby',
  'decr',
  'decrby',
  'incrbyfloat',
  'append',
  'del',
  'unlink',
  'expire',
  'pexpire',
  'expireat',
  'pexpireat',
  'persist',
  'hset',
  'hmset',
  'hsetnx',
  'hdel',
  'hincrby',
  'lpush',
  'rpush',
  'lpop',
  'rpop',
  'lset',
  'ltrim',
  'sadd',
  'srem',
  'zadd',
  'zrem',
  'zincrby',
  'xadd',
  'rename',
  'copy',
  'restore',
  'mset',
  'msetnx',
]);

/** Starts MONITOR on a Redis endpoint; resolves once the server confirmed it. */
export async function startMonitor(endpoint: string, opts: RedisEndpointOptions = {}): Promise<Monitor> {
  const base = connectRedis(endpoint, opts);
  base.on('error', () => {});
  await base.connect();
  const commands: MonitoredCommand[] = [];
  let mon: Redis | null = null;
  try {
    mon = await monitorOn(base);
  } finally {
    base.disconnect();
  }
  mon.on('monitor', (time: string, args: string[], source: string) => {
    const [name = '', ...rest] = args;
    commands.push({ time: Number(time), args: [name.toLowerCase(), ...rest], source });
  });
  let stopped = false;
  return {
    commands,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      mon?.disconnect();
    },
  };
}

/**
 * ioredis's `monitor()` with its error listener in place from the start. ioredis switches a
 * connection to monitoring only once MONITOR's OK has been handled (in a promise callback), so on a
 * busy Redis a command line that arrives in the same read as that OK meets an empty command queue
 * and is reported as "Command queue state error": `monitor()` then rejects, and the next such
 * error crashes the process, although MONITOR runs. Such a line precedes the confirmation and is
 * dropped; any other error before it fails the start.
 */
async function monitorOn(base: Redis): Promise<Redis> {
  const mon = base.duplicate({ monitor: true, lazyConnect: true });
  try {
    await new Promise<void>((resolve, reject) => {
      // (after 'monitoring' has resolved the start, reject is a no-op: errors are ignored then)
      mon.on('error', (e: Error) => {
        if (!e.message.startsWith('Command queue state error')) reject(e);
      });
      mon.once('monitoring', () => resolve());
      mon.connect().catch(reject);
    });
  } catch (e) {
    mon.disconnect();
    throw e;
  }
  return mon;
}

/** One key write seen by MONITOR, attributed to the client that caused it. */
export interface MonitoredWrite {
  key: string;
  /** The write command (upper case), e.g. SET, INCR. */
  command: string;
  /** The client (`ip:port`); for a write made inside a Lua script, the client that ran the script. */
  source: string;
}

/**
 * The key writes among monitored commands. MONITOR lists the commands a Lua script runs (source
 * `lua`) right after the script's EVAL: those are the writes, attributed to the EVAL's client;
 * the keys an EVAL merely declares are not counted.
 */
export function writesOf(commands: readonly MonitoredCommand[]): MonitoredWrite[] {
  const out: MonitoredWrite[] = [];
  let scriptSource = '';
  for (const c of commands) {
    const [name = '', ...args] = c.args;
    if (name === 'eval' || name === 'evalsha' || name === 'fcall') {
      scriptSource = c.source;
      continue;
    }
    const source = /lua/i.test(c.source) ? scriptSource : c.source;
    if (!WRITE_COMMANDS.has(name)) continue;
    const keys = name === 'mset' || name === 'msetnx' ? args.filter((_, i) => i % 2 === 0) : args.slice(0, 1);
    for (const key of keys) out.push({ key, command: name.toUpperCase(), source });
  }
  return out;
}
