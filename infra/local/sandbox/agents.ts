/**
 * Simulated Gloo agents (workload clusters `workload-1..N`), all in this process on async sockets.
 *
 * Each agent resolves the relay record through the sandbox DNS server and caches the answer for
 * its TTL (re-resolving only once it expired, as a TTL-honouring resolver does), connects to
 * `<ip>:<relayPort>`, says hello, pushes its snapshot and heartbeats. A server that stops acking
 * (frozen) is detected after `heartbeatTimeoutMs`. On a drop, a failure or a `goaway` it
 * reconnects after a capped exponential backoff with full jitter:
 * `delay = random(0, min(maxMs, baseMs * 2^attempt))`, the attempt count reset by a welcome.
 */

import { Resolver } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls, createSecureContext, type SecureContext } from 'node:tls';
import { onMessages, sendMessage } from './protocol.ts';

/** Capped exponential backoff settings. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** Options of {@link AgentFleet}. */
export interface AgentFleetOptions {
  count: number;
  /** The relay record name agents resolve (an A record). */
  recordName: string;
  /** `127.0.0.1:<port>` of the sandbox DNS server. */
  dnsServer: string;
  relayPort: number;
  backoff: Backoff;
  /** Interval of heartbeats (default 300 ms). */
  heartbeatMs?: number;
  /** A connection without a welcome or an ack for this long is dead (default 1,000 ms). */
  heartbeatTimeoutMs?: number;
  /** TCP connect timeout (default 1,000 ms). */
  connectTimeoutMs?: number;
  /** Agent name prefix (default `workload-`). */
  namePrefix?: string;
  /**
   * Relay TLS as a Gloo agent does it: the root CA of `relay-root-tls-secret` and the authority
   * (`glooAgent.relay.authority`) as SNI and expected name. A certificate that does not verify
   * fails the connection, and the agent retries with its backoff.
   */
  tls?: { ca: string; servername: string };
}

/** Counters across the fleet. */
export interface FleetStats {
  dnsQueries: number;
  dnsFailures: number;
  connects: number;
  connectFailures: number;
  goaways: number;
  missedAcks: number;
}

/** Where each agent is: its management server cluster, or null while it is not connected. */
export type Placement = Record<string, string | null>;

class Agent {
  readonly name: string;
  server: string | null = null;
  stopped = false;
  private cache: { ip: string; expiresAt: number } | null = null;
  private attempt = 0;
  private socket: Socket | null = null;
  private readonly fleet: AgentFleet;
  private readonly abort = new AbortController();

  constructor(name: string, fleet: AgentFleet) {
    this.name = name;
    this.fleet = fleet;
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      const ip = await this.resolve();
      if (ip && !this.stopped) await this.session(ip);
      if (this.stopped) break;
      const b = this.fleet.backoff;
      const delay = Math.random() * Math.min(b.maxMs, b.baseMs * 2 ** this.attempt);
      this.attempt = Math.min(this.attempt + 1, 30);
      try {
        await sleep(delay, undefined, { signal: this.abort.signal });
      } catch {
        break; // stopped
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.socket?.destroy();
  }

  private async resolve(): Promise<string | null> {
    if (this.cache && Date.now() < this.cache.expiresAt) return this.cache.ip;
    this.cache = null;
    this.fleet.stats.dnsQueries++;
    try {
      const answers = await this.fleet.resolver.resolve4(this.fleet.opts.recordName, { ttl: true });
      const pick = answers[Math.floor(Math.random() * answers.length)];
      if (!pick) return null;
      this.cache = { ip: pick.address, expiresAt: Date.now() + pick.ttl * 1000 };
      return pick.address;
    } catch {
      this.fleet.stats.dnsFailures++;
      return null;
    }
  }

  /** One connection, from connect to close. */
  private session(ip: string): Promise<void> {
    const o = this.fleet.opts;
    const hbMs = o.heartbeatMs ?? 300;
    const deadAfter = o.heartbeatTimeoutMs ?? 1_000;
    return new Promise((resolve) => {
      const socket = o.tls
        ? connectTls({
            host: ip,
            port: o.relayPort,
            secureContext: this.fleet.secureContext!,
            servername: o.tls.servername,
          })
        : connect({ host: ip, port: o.relayPort });
      this.socket = socket;
      socket.setNoDelay(true);
      let lastHeard = Date.now();
      let seq = 0;
      let connected = false;
      let heartbeat: NodeJS.Timeout | undefined;
      let connectTimer = setTimeout(() => socket.destroy(), o.connectTimeoutMs ?? 1_000);
      // The TCP connect is bounded by the connect timeout; the TLS handshake after it gets its own
      // bound (a crowd of agents handshaking at once queues on the server's CPU).
      if (o.tls)
        socket.once('connect', () => {
          clearTimeout(connectTimer);
          connectTimer = setTimeout(() => socket.destroy(), 10_000);
        });
      const watchdog = setInterval(
        () => {
          if (connected && Date.now() - lastHeard > deadAfter) {
            if (this.server) this.fleet.stats.missedAcks++;
            socket.destroy();
          }
        },
        Math.max(50, Math.floor(deadAfter / 4)),
      );
      socket.on(o.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(connectTimer);
        connected = true;
        lastHeard = Date.now();
        sendMessage(socket, { t: 'hello', cluster: this.name });
      });
      onMessages(socket, (m) => {
        lastHeard = Date.now();
        if (m.t === 'welcome') {
          this.attempt = 0;
          this.fleet.stats.connects++;
          this.setServer(m.server);
          sendMessage(socket, {
            t: 'snapshot',
            data: { cluster: this.name, resources: 42, generatedAt: new Date().toISOString() },
          });
          heartbeat = setInterval(() => sendMessage(socket, { t: 'heartbeat', seq: ++seq }), hbMs);
        } else if (m.t === 'goaway') {
          this.fleet.stats.goaways++;
          socket.destroy();
        }
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(connectTimer);
        clearInterval(watchdog);
        clearInterval(heartbeat);
        if (!this.server) this.fleet.stats.connectFailures++;
        this.socket = null;
        this.setServer(null);
        resolve();
      });
    });
  }

  private setServer(server: string | null): void {
    if (this.server === server) return;
    this.server = server;
    this.fleet.changed(this.name, server);
  }
}

/** N simulated agents. */
export class AgentFleet extends EventEmitter {
  /** Options as given (backoff changes through {@link setBackoff}). */
  readonly opts: AgentFleetOptions;
  /** The resolver agents share as a transport; each agent caches its own answer. */
  readonly resolver: Resolver;
  /** Counters across the fleet. */
  readonly stats: FleetStats = {
    dnsQueries: 0,
    dnsFailures: 0,
    connects: 0,
    connectFailures: 0,
    goaways: 0,
    missedAcks: 0,
  };
  /** One TLS context (the root CA) shared by every agent: building one per connection is costly. */
  readonly secureContext: SecureContext | undefined;
  private backoffValue: Backoff;
  private readonly agents: Agent[];
  private runs: Promise<void>[] = [];
  private waiters = new Set<() => void>();

  constructor(opts: AgentFleetOptions) {
    super();
    this.setMaxListeners(0);
    this.opts = opts;
    this.backoffValue = { ...opts.backoff };
    this.secureContext = opts.tls ? createSecureContext({ ca: opts.tls.ca }) : undefined;
    this.resolver = new Resolver({ timeout: 300, tries: 2 });
    this.resolver.setServers([opts.dnsServer]);
    const prefix = opts.namePrefix ?? 'workload-';
    this.agents = Array.from({ length: opts.count }, (_, i) => new Agent(`${prefix}${i + 1}`, this));
  }

  /** How many agents the fleet has (stopped ones included). */
  get count(): number {
    return this.agents.length;
  }
  /** Agent cluster names, in order. */
  get names(): string[] {
    return this.agents.map((a) => a.name);
  }
  /** Names of agents that are running (not stopped). */
  get running(): string[] {
    return this.agents.filter((a) => !a.stopped).map((a) => a.name);
  }
  /** Current backoff settings. */
  get backoff(): Backoff {
    return this.backoffValue;
  }

  /** Starts every agent. */
  start(): void {
    if (this.runs.length) return;
    this.runs = this.agents.map((a) => a.run());
  }

  /** Where each agent is now (stopped agents: null). */
  placement(): Placement {
    return Object.fromEntries(this.agents.map((a) => [a.name, a.server]));
  }

  /**
   * Resolves with the milliseconds it took until every running agent is connected to
   * `serverCluster`; rejects after `timeoutMs` naming the agents that are elsewhere.
   */
  waitAllOn(serverCluster: string, timeoutMs: number): Promise<number> {
    const started = performance.now();
    const done = () => this.agents.every((a) => a.stopped || a.server === serverCluster);
    if (done()) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        cleanup();
        resolve(Math.round(performance.now() - started));
      };
      const timer = setTimeout(() => {
        cleanup();
        const off = this.agents.filter((a) => !a.stopped && a.server !== serverCluster);
        reject(
          new Error(
            `${off.length} of ${this.running.length} agents not on ${serverCluster} after ${timeoutMs} ms: ${off
              .slice(0, 10)
              .map((a) => `${a.name}@${a.server ?? 'none'}`)
              .join(', ')}${off.length > 10 ? ', ...' : ''}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Changes the backoff of every agent (applies from their next retry). */
  setBackoff(backoff: Backoff): void {
    this.backoffValue = { ...backoff };
  }

  /** Stops these agents for good: they disconnect and never reconnect. */
  async stopAgents(names: string[]): Promise<void> {
    const set = new Set(names);
    for (const a of this.agents) if (set.has(a.name)) a.stop();
    await Promise.all(this.agents.map((a, i) => (set.has(a.name) ? this.runs[i] : undefined)));
  }

  /** Stops every agent. */
  async stop(): Promise<void> {
    for (const a of this.agents) a.stop();
    await Promise.all(this.runs);
    this.waiters.clear();
  }

  /** @internal called by agents when their placement changes. */
  changed(agent: string, server: string | null): void {
    this.emit('placement', { agent, server, at: Date.now() });
    for (const w of [...this.waiters]) w();
  }
}
