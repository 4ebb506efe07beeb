/**
 * The invariant monitor: watches the sandbox continuously (every `intervalMs`, and on every write
 * a server makes) and records what must never happen:
 * - split brain: two servers accepted writes in overlapping time. A write accepted from server X,
 *   issued at `t`, conflicts when another server had a write accepted that was issued between the
 *   moment X last became holder before `t` and `t` (both wrote during X's tenure). Issue times
 *   are used because fencing makes a write issued before a lock switch either land before it or
 *   be refused, so a clean switch never looks like an overlap;
 * - the lock epoch of a Redis decreasing (per Redis incarnation: a killed Redis comes back empty,
 *   see `Sandbox.healRegion`);
 * and keeps the history of which server each agent was on.
 */
import { Redis } from 'ioredis';
import { splitHostPort } from '#lib/redis/connect.ts';
import type { AgentFleet } from './agents.ts';
import type { SimServer, WriteEvent } from './mgmt-server.ts';

/** How long accepted write times are kept for the split-brain check. */
const WRITE_WINDOW_MS = 120_000;

/** A placement change of one agent. */
export interface PlacementChange {
  agent: string;
  server: string | null;
  at: number;
}

/** Options of {@link InvariantMonitor}. */
export interface InvariantMonitorOptions {
  servers: SimServer[];
  /** Redis members to watch, by name (the region). */
  redis: { name: string; endpoint: string }[];
  epochKey: string;
  fleet: AgentFleet;
  intervalMs?: number;
}

interface RedisWatch {
  name: string;
  client: Redis;
  maxEpoch: number;
  incarnation: number;
  reading: boolean;
}

/** Records invariant violations of a running sandbox. */
export class InvariantMonitor {
  private readonly opts: InvariantMonitorOptions;
  private readonly found: string[] = [];
  private readonly seen = new Set<string>();
  /** Issue times of accepted writes per server, within the last {@link WRITE_WINDOW_MS}. */
  private readonly writes = new Map<string, number[]>();
  /** When each server became holder, oldest first. */
  private readonly tenureStarts = new Map<string, number[]>();
  private readonly watches: RedisWatch[];
  private readonly history: PlacementChange[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly onWrite = (ev: WriteEvent) => this.checkWrite(ev);
  private readonly onHolderEvent = (ev: { server: string; holder: boolean; at: number }) => this.onHolder(ev);
  private readonly onPlacement = (ev: PlacementChange) => this.history.push(ev);

  constructor(opts: InvariantMonitorOptions) {
    this.opts = opts;
    this.watches = opts.redis.map((r) => {
      const { host, port } = splitHostPort(r.endpoint);
      const client = new Redis({
        host,
        port,
        connectTimeout: 300,
        commandTimeout: 300,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => 100,
        disconnectTimeout: 100,
        lazyConnect: true,
      });
      client.on('error', () => {});
      return { name: r.name, client, maxEpoch: 0, incarnation: 0, reading: false };
    });
  }

  /** Starts watching. */
  async start(): Promise<void> {
    for (const s of this.opts.servers) {
      s.on('write', this.onWrite);
      s.on('holder', this.onHolderEvent);
      if (s.holderSinceMs !== null) this.onHolder({ server: s.cluster, holder: true, at: s.holderSinceMs });
    }
    this.opts.fleet.on('placement', this.onPlacement);
    await Promise.all(this.watches.map((w) => w.client.connect().catch(() => {})));
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs ?? 50);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.opts.servers) {
      s.off('write', this.onWrite);
      s.off('holder', this.onHolderEvent);
    }
    this.opts.fleet.off('placement', this.onPlacement);
    for (const w of this.watches) w.client.disconnect();
  }

  /** Every violation recorded so far (each distinct one once). */
  violations(): string[] {
    return [...this.found];
  }

  /** Placement changes of agents, oldest first. */
  placementHistory(): PlacementChange[] {
    return [...this.history];
  }

  /** Which server each agent is on now. */
  placement(): Record<string, string | null> {
    return this.opts.fleet.placement();
  }

  /** The highest lock epoch seen on a Redis (this incarnation). */
  maxEpoch(name: string): number {
    return this.watches.find((w) => w.name === name)?.maxEpoch ?? 0;
  }

  /** A Redis was restarted (empty): its epoch starts again from what it now holds. */
  newIncarnation(name: string): void {
    const w = this.watches.find((x) => x.name === name);
    if (!w) return;
    w.incarnation++;
    w.maxEpoch = 0;
  }

  private add(key: string, message: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.found.push(message);
  }

  private onHolder(ev: { server: string; holder: boolean; at: number }): void {
    if (!ev.holder) return;
    const starts = this.tenureStarts.get(ev.server) ?? [];
    starts.push(ev.at);
    this.tenureStarts.set(ev.server, starts);
  }

  private checkWrite(ev: WriteEvent): void {
    if (!ev.accepted) return;
    const mine = this.writes.get(ev.server) ?? [];
    mine.push(ev.at);
    while (mine.length > 0 && mine[0]! < ev.at - WRITE_WINDOW_MS) mine.shift();
    this.writes.set(ev.server, mine);
    // The tenure this write belongs to: the last time this server became holder before issuing it.
    const starts = this.tenureStarts.get(ev.server) ?? [];
    const since = starts.filter((s) => s <= ev.at).pop() ?? ev.at;
    for (const [other, times] of this.writes) {
      if (other === ev.server) continue;
      const clash = times.find((t) => t >= since && t <= ev.at);
      if (clash === undefined) continue;
      this.add(
        `split:${[other, ev.server].sort().join('/')}:${since}`,
        `split brain: ${ev.server} accepted a write at ${iso(ev.at)} (holder since ${iso(since)}) while ${other} accepted one at ${iso(clash)}`,
      );
    }
  }

  private async tick(): Promise<void> {
    await Promise.all(this.watches.map((w) => this.readEpoch(w)));
  }

  private async readEpoch(w: RedisWatch): Promise<void> {
    if (w.reading) return;
    w.reading = true;
    const incarnation = w.incarnation;
    try {
      const raw = await w.client.get(this.opts.epochKey);
      if (incarnation !== w.incarnation) return;
      const epoch = Number(raw ?? 0);
      if (epoch < w.maxEpoch)
        this.add(
          `epoch:${w.name}:${w.incarnation}:${w.maxEpoch}:${epoch}`,
          `lock epoch on Redis ${w.name} decreased from ${w.maxEpoch} to ${epoch} at ${iso(Date.now())}`,
        );
      w.maxEpoch = Math.max(w.maxEpoch, epoch);
    } catch {
      // unreachable or frozen: nothing to compare
    } finally {
      w.reading = false;
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
