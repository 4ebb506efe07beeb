/**
 * Local `redis-server` processes on free loopback ports, for the sandbox and the tests.
 * Every process started here is tracked and killed on `stop()` and at process exit, and dies with
 * this process however it ends, SIGKILL included (parent-death signal, see children.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseInfo } from '#lib/redis/connect.ts';
import { spawnOwned } from './children.ts';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** One running redis-server. */
export interface RedisProcess {
  port: number;
  endpoint: string;
  pid: number;
  /** SIGKILL: the member is gone (connections refused). */
  kill(): Promise<void>;
  /** SIGSTOP: the member is frozen (connections hang); `thaw()` resumes it. */
  freeze(): void;
  thaw(): void;
  /** Starts it again on the same port (after `kill`), optionally as a replica of `replicaOf`. */
  restart(opts?: { replicaOf?: string }): Promise<void>;
  /** A new client to this member (caller disconnects it). */
  client(): Redis;
  /** Stops the process and removes its directory. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  port?: number;
  /** Loopback address to bind (default 127.0.0.1); the sandbox gives each region its own. */
  host?: string;
  /** `host:port` of the primary to replicate. */
  replicaOf?: string;
  /** Extra `--name value` arguments. */
  args?: string[];
}

function waitExit(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => p.once('exit', () => resolve()));
}

/** Pings until the server answers (bounded), so a started server is ready for use. */
async function waitReady(
  host: string,
  port: number,
  proc: ChildProcess,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server on port ${port} exited: ${stderr()}`);
    const r = new Redis({
      port,
      host,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 500,
    });
    r.on('error', () => {});
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      r.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
    await new Promise((res) => setTimeout(res, 15));
  }
}

/** Starts a redis-server on a free loopback port (no persistence). */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisProcess> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `redis-${port}-`));
  let proc!: ChildProcess;
  let errText = '';
  const launch = async (replicaOf?: string) => {
    const args = [
      '--port',
      String(port),
      '--bind',
      host,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      '--repl-diskless-sync',
      'yes',
      '--repl-diskless-sync-delay',
      '0',
      '--repl-ping-replica-period',
      '1',
    ];
    if (replicaOf) args.push('--replicaof', ...replicaOf.split(':'));
    args.push(...(opts.args ?? []));
    proc = spawnOwned('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'], port });
    errText = '';
    proc.stderr?.on('data', (d) => {
      errText += String(d);
    });
    proc.on('error', (e) => {
      errText += e.message;
    });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    await waitReady(host, port, proc, () => errText);
  };
  await launch(opts.replicaOf);
  const handle: RedisProcess = {
    port,
    endpoint: `${host}:${port}`,
    get pid() {
      return proc.pid ?? -1;
    },
    get running() {
      return proc.exitCode === null && proc.signalCode === null;
    },
    async kill() {
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
      await waitExit(proc);
    },
    freeze() {
      proc.kill('SIGSTOP');
    },
    thaw() {
      proc.kill('SIGCONT');
    },
    async restart(o = {}) {
      if (handle.running) await handle.kill();
      await launch(o.replicaOf);
    },
    client() {
      const c = new Redis({
        port,
        host,
        maxRetriesPerRequest: 1,
        connectTimeout: 1000,
        commandTimeout: 2000,
        retryStrategy: () => null,
      });
      c.on('error', () => {}); // surfaced by the awaited commands
      return c;
    },
    async stop() {
      await handle.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  } as RedisProcess;
  return handle;
}

/** Waits (bounded) until `replica` reports its link to the primary up and caught up. */
export async function waitReplicating(replica: RedisProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const r = replica.client();
  try {
    for (;;) {
      const info = parseInfo(await r.info('replication'));
      if (info.role === 'slave' && info.master_link_status === 'up' && info.master_sync_in_progress === '0')
        return;
      if (Date.now() > deadline)
        throw new Error(
          `replica ${replica.endpoint} not replicating after ${timeoutMs} ms: ${JSON.stringify(info)}`,
        );
      await new Promise((res) => setTimeout(res, 20));
    }
  } finally {
    r.disconnect();
  }
}

/** A primary and a replica of it, replication up. */
export async function startReplicatedPair(): Promise<{
  primary: RedisProcess;
  replica: RedisProcess;
  stop(): Promise<void>;
}> {
  const primary = await startRedis();
  const replica = await startRedis({ replicaOf: primary.endpoint });
  await waitReplicating(replica);
  return {
    primary,
    replica,
    stop: async () => {
      await Promise.all([primary.stop(), replica.stop()]);
    },
  };
}
