/**
 * A simulated Gloo management server for the sandbox: a relay TCP port agents hold connections on,
 * Prometheus metrics with Gloo's metric names, a health endpoint, and lock awareness.
 *
 * Behaviour:
 * - It polls the global lock on ITS region's Redis (every `lockPollMs`). While it holds the lock it
 *   writes each agent's snapshot (`snapshot:<cluster>`) and, every `translationWriteMs`, a
 *   translation output key, each through a Lua script that first checks the lock still names this
 *   server (fencing). A lock mismatch or a READONLY error (its Redis is a replica) is a refused
 *   write. An agent counts as warmed only after its snapshot was written.
 * - A server that does not hold the lock never writes (every attempt is counted as refused), keeps
 *   `relay_push_clients_warmed` at 0, and sends `goaway` to each agent `passiveGraceMs` after it
 *   connected so agents re-resolve DNS. SANDBOX ASSUMPTION: what real Gloo does on a passive
 *   server is not publicly documented; the goaway is how the sandbox models "agents end up on the
 *   active server".
 * - When it becomes holder it writes pending snapshots and warms connected agents; when it loses
 *   the lock it un-warms them and sends `goaway` at once.
 * - When its Redis does not answer it keeps its last belief about the lock (fencing still protects
 *   Redis) and counts `gloo_mesh_redis_sync_err`.
 *
 * Fault modes: `kill()` closes every listener and socket (connections refused, state lost;
 * `restart()` starts it fresh); `freeze()` keeps the listeners but answers nothing, like a
 * SIGSTOPped process (TCP connects still complete, requests hang); `thaw()` resumes.
 */
import { EventEmitter } from 'node:events';
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Redis } from 'ioredis';
import { splitHostPort } from '#lib/redis/connect.ts';
import { formatLockValue, type LockFormat, RedisGlobalLock } from '#lib/redis/lock.ts';
import type { Region } from '#lib/topology.ts';
import { onMessages, type RelayMessage, sendMessage } from './protocol.ts';

/** Options of a {@link SimServer}. */
export interface SimServerOptions {
  /** The management cluster name (e.g. mgmt-east). */
  cluster: string;
  region: Region;
  /** The loopback IP this server binds (e.g. 127.0.0.11). */
  host: string;
  relayPort: number;
  /** Port of the HTTP endpoints (`/metrics`, `/health`, `POST /write`). */
  httpPort: number;
  /**
   * The pod IPs of this server's replicas (default: one replica on `host`). Like Gloo with several
   * replicas behind one Service, each agent connection lands on one replica (round robin over the
   * live ones) and each replica's own `/metrics` on `<podIp>:<httpPort>` reports only its agents.
   */
  replicaHosts?: string[];
  /**
   * Relay TLS (like `relay-server-tls-secret`): the relay port then speaks TLS with this key and
   * certificate; without it, plain TCP.
   */
  relayTls?: { key: string; cert: string };
  /** Port of the telemetry gateway (OTLP stand-in: a TLS listener, certificate `telemetryTls`) on `host`. */
  telemetryPort?: number;
  telemetryTls?: { key: string; cert: string };
  /** `host:port` of this region's Redis. */
  redisEndpoint: string;
  lock: LockFormat;
  /** Gloo's `common.cluster` of this server (fills `{glooClusterName}` of the lock value). */
  glooClusterName?: string;
  /**
   * `write-to-one`: the server writes only while Gloo's global lock names it (fenced writes).
   * `write-to-all`: no lock; it writes whenever its own Redis member accepts writes (it is the
   * primary), as each server of the vendor's demo does with its region's ElastiCache member.
   */
  configMode?: 'write-to-all' | 'write-to-one';
  passiveGraceMs: number;
  /** How often the lock is read (default 100 ms). */
  lockPollMs?: number;
  /** How often the holder writes its translation output (default 250 ms). */
  translationWriteMs?: number;
  /** Redis command timeout (default 300 ms), so a frozen Redis fails fast. */
  redisTimeoutMs?: number;
}

/** How the server is doing, from the outside. */
export type ServerMode = 'running' | 'frozen' | 'killed';

/** Emitted as `write` for every write attempt. */
export interface WriteEvent {
  server: string;
  key: string;
  accepted: boolean;
  /** When the write was issued (ms since epoch); an accepted write happened at or after it. */
  at: number;
  /** Why a write was refused: `not-holder`, `lock-mismatch`, `READONLY ...`, a timeout. */
  reason?: string;
}

/** Result of {@link SimServer.writeNow}. */
export interface WriteNowResult {
  accepted: number;
  refused: number;
  reasons: string[];
}

interface Session {
  socket: Socket;
  /** The replica holding this connection. */
  replica: number;
  cluster: string | null;
  snapshot: string | null;
  warmed: boolean;
  goaway?: NodeJS.Timeout;
}

/**
 * KEYS: lock, epoch, target key. ARGV: this server's lock value, data.
 * Returns {1, epoch} when written, {0, current lock value} when the lock names someone else.
 */
const FENCED_WRITE = `
local cur = redis.call('GET', KEYS[1])
if cur ~= ARGV[1] then return {0, cur or ''} end
redis.call('SET', KEYS[3], ARGV[2])
return {1, redis.call('GET', KEYS[2]) or '0'}
`;

/** write-to-all: no lock to check (a replica refuses with READONLY). KEYS: target key. ARGV: data. */
const PLAIN_WRITE = `
redis.call('SET', KEYS[1], ARGV[1])
return {1, '0'}
`;

/** The key the holder writes its translation output to (shared: two writers would clash here). */
export const TRANSLATION_KEY = 'gloo-mesh:translation-output';

/** A simulated management server (one per sandbox region). */
export class SimServer extends EventEmitter {
  readonly cluster: string;
  readonly region: Region;
  readonly host: string;
  readonly relayPort: number;
  readonly httpPort: number;
  private readonly opts: SimServerOptions;
  private readonly lock: LockFormat;
  private readonly lockValue: string;
  /** write-to-all: no lock, the Redis role decides. */
  private readonly lockless: boolean;
  private relay: TcpServer | TlsServer | null = null;
  private telemetry: TlsServer | null = null;
  private relayCert: { key: string; cert: string } | undefined;
  private http: HttpServer | null = null;
  private redis: Redis | null = null;
  private sessions = new Set<Session>();
  private timers: NodeJS.Timeout[] = [];
  private heldRequests: (() => void)[] = [];
  private replicaHttp: (HttpServer | null)[] = [];
  /** Per replica: `up`, `metrics-down` (its metrics endpoint refuses connections) or `killed`. */
  private replicaState: ('up' | 'metrics-down' | 'killed')[] = [];

  private polling = false;
  /** Rises on every start and kill, so work begun by an earlier incarnation is ignored. */
  private generation = 0;
  private holder = false;
  private lockKnown = false;
  private redisOk = false;
  private epoch = 0;
  private modeValue: ServerMode = 'killed';
  private accepted = 0;
  private refused = 0;
  private syncErrors = 0;
  private holderSince: number | null = null;

  constructor(opts: SimServerOptions) {
    super();
    this.opts = opts;
    this.cluster = opts.cluster;
    this.region = opts.region;
    this.host = opts.host;
    this.relayPort = opts.relayPort;
    this.httpPort = opts.httpPort;
    this.lock = opts.lock;
    this.lockValue = formatLockValue(
      {
        ...opts.lock,
        holders: [{ id: opts.cluster, glooClusterName: opts.glooClusterName ?? opts.cluster }],
      },
      opts.cluster,
    );
    this.lockless = opts.configMode === 'write-to-all';
    this.relayCert = opts.relayTls;
  }

  /** Presents another relay certificate from now on (new handshakes), as a rotated secret would. */
  setRelayCert(pair: { key: string; cert: string }): void {
    if (!this.opts.relayTls) throw new Error(`sandbox: ${this.cluster} relay runs without TLS`);
    this.relayCert = pair;
    if (this.relay && 'setSecureContext' in this.relay) this.relay.setSecureContext(pair);
  }

  /** The telemetry gateway address (`host:port`), when it runs one. */
  get telemetryAddress(): string | undefined {
    return this.opts.telemetryPort ? `${this.host}:${this.opts.telemetryPort}` : undefined;
  }

  /** `running`, `frozen` or `killed`. */
  get mode(): ServerMode {
    return this.modeValue;
  }
  /** Whether this server believes it holds the global lock (from its last successful read). */
  get holdsLock(): boolean {
    return this.holder;
  }
  /** When this server last became holder (ms since epoch), or null while it is not. */
  get holderSinceMs(): number | null {
    return this.holderSince;
  }
  /** The lock epoch this server last read. */
  get lockEpoch(): number {
    return this.epoch;
  }
  /** Writes Redis accepted since the last (re)start. */
  get acceptedWrites(): number {
    return this.accepted;
  }
  /** Writes refused (not holder, fenced by the lock, READONLY, timeouts) since the last (re)start. */
  get refusedWrites(): number {
    return this.refused;
  }
  /** Relay address `host:port`. */
  get relayAddress(): string {
    return `${this.host}:${this.relayPort}`;
  }
  /** `http://host:port/metrics`. */
  get metricsUrl(): string {
    return `http://${this.host}:${this.httpPort}/metrics`;
  }
  /** `http://host:port/health`. */
  get healthUrl(): string {
    return `http://${this.host}:${this.httpPort}/health`;
  }
  /** The pod IPs of the replicas. */
  get replicaHosts(): string[] {
    return this.opts.replicaHosts?.length ? this.opts.replicaHosts : [this.host];
  }
  /** Each replica's own metrics URL (`http://<podIp>:<httpPort>/metrics`). */
  get replicaMetricsUrls(): string[] {
    return this.replicaHosts.map((h) => `http://${h}:${this.httpPort}/metrics`);
  }
  /** The agent clusters connected to one replica, sorted. */
  replicaClusters(replica: number): string[] {
    return [...this.sessions].flatMap((s) => (s.cluster && s.replica === replica ? [s.cluster] : [])).sort();
  }

  /** Stops (or restarts) one replica's metrics endpoint: connections are refused; its agents stay. */
  async setReplicaMetricsDown(replica: number, down: boolean): Promise<void> {
    this.checkReplica(replica);
    if (this.replicaState[replica] === 'killed') return;
    this.replicaState[replica] = down ? 'metrics-down' : 'up';
    if (down) {
      const h = this.replicaHttp[replica] ?? null;
      this.replicaHttp[replica] = null;
      h?.closeAllConnections();
      await close(h);
    } else if (!this.replicaHttp[replica] && this.modeValue !== 'killed') await this.listenReplica(replica);
  }

  /** Kills one replica (its pod): its agent connections drop and reconnect to the others. */
  async killReplica(replica: number): Promise<void> {
    await this.setReplicaMetricsDown(replica, true);
    this.replicaState[replica] = 'killed';
    for (const s of this.sessions) if (s.replica === replica) s.socket.destroy();
  }

  private liveReplicas(): number[] {
    return this.replicaHosts.map((_, i) => i).filter((i) => this.replicaState[i] !== 'killed');
  }

  /**
   * The replica that holds an agent's connection: a stable hash of its name over the live replicas
   * (the sandbox's stand-in for the load balancer, so a test knows which agents share a pod).
   */
  replicaFor(cluster: string): number {
    const live = this.liveReplicas();
    let h = 0;
    for (const ch of cluster) h = (h + ch.charCodeAt(0)) % 9973;
    return live[h % live.length] ?? 0;
  }

  private checkReplica(replica: number): void {
    if (!Number.isInteger(replica) || replica < 0 || replica >= this.replicaHosts.length)
      throw new Error(
        `sandbox: ${this.cluster} has replicas 0..${this.replicaHosts.length - 1}, not ${replica}`,
      );
  }

  private async listenReplica(i: number): Promise<void> {
    const h = createHttpServer((req, res) => {
      const handle = () => {
        if (req.method === 'GET' && new URL(req.url ?? '/', 'http://sandbox').pathname === '/metrics') {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(this.metricsText(i));
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end('{"error":"not found"}');
        }
      };
      if (this.modeValue === 'frozen') this.heldRequests.push(handle);
      else handle();
    });
    h.keepAliveTimeout = 1_000;
    await listen(h, this.replicaHosts[i]!, this.httpPort);
    this.replicaHttp[i] = h;
  }

  /** Agent clusters connected now (hello received), sorted. */
  connectedClusters(): string[] {
    return [...this.sessions].flatMap((s) => (s.cluster ? [s.cluster] : [])).sort();
  }
  /** Agent clusters whose snapshot this server wrote (warmed), sorted. */
  warmedClusters(): string[] {
    return [...this.sessions].flatMap((s) => (s.cluster && s.warmed ? [s.cluster] : [])).sort();
  }

  /** Starts listening and reading the lock; resolves after the first lock read. */
  async start(): Promise<void> {
    if (this.modeValue !== 'killed') return;
    this.generation++;
    this.polling = false;
    this.accepted = 0;
    this.refused = 0;
    this.syncErrors = 0;
    this.holder = false;
    this.lockKnown = false;
    this.holderSince = null;
    const { host, port } = splitHostPort(this.opts.redisEndpoint);
    const t = this.opts.redisTimeoutMs ?? 300;
    this.redis = new Redis({
      host,
      port,
      connectTimeout: t,
      commandTimeout: t,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 100,
      disconnectTimeout: 100,
      lazyConnect: true,
    });
    this.redis.on('error', () => {}); // surfaced through the awaited commands
    this.relay = this.relayCert
      ? createTlsServer(this.relayCert, (socket) => this.onConnection(socket))
      : createTcpServer((socket) => this.onConnection(socket));
    this.relay.on('tlsClientError', () => {}); // an agent that rejects our certificate
    this.telemetry =
      this.opts.telemetryPort && this.opts.telemetryTls
        ? createTlsServer(this.opts.telemetryTls, (socket) => {
            socket.on('error', () => {});
            socket.end();
          })
        : null;
    this.http = createHttpServer((req, res) => this.onRequest(req, res));
    this.http.keepAliveTimeout = 1_000;
    this.replicaState = this.replicaHosts.map(() => 'up');
    this.replicaHttp = this.replicaHosts.map(() => null);
    await Promise.all([
      listen(this.relay, this.host, this.relayPort),
      listen(this.http, this.host, this.httpPort),
      ...(this.telemetry ? [listen(this.telemetry, this.host, this.opts.telemetryPort!)] : []),
      ...this.replicaHosts.map((_, i) => this.listenReplica(i)),
    ]);
    this.modeValue = 'running';
    await this.redis.connect().catch(() => {});
    await this.pollLock();
    this.startTimers();
  }

  /** Closes every listener and socket; in-memory state is lost (as when the pod dies). */
  async kill(): Promise<void> {
    if (this.modeValue === 'killed') return;
    this.modeValue = 'killed';
    this.generation++;
    this.stopTimers();
    for (const s of this.sessions) {
      clearTimeout(s.goaway);
      s.socket.destroy();
    }
    this.sessions.clear();
    this.heldRequests = [];
    const relay = this.relay;
    const http = this.http;
    const telemetry = this.telemetry;
    const pods = this.replicaHttp.splice(0);
    this.relay = null;
    this.http = null;
    this.telemetry = null;
    http?.closeAllConnections();
    for (const p of pods) p?.closeAllConnections();
    await Promise.all([close(relay), close(http), close(telemetry), ...pods.map((p) => close(p))]);
    this.redis?.disconnect();
    this.redis = null;
    if (this.holder) this.setHolder(false);
  }

  /** Starts again after {@link kill}: fresh state, same addresses. */
  restart(): Promise<void> {
    return this.start();
  }

  /** Stops answering anything while keeping listeners and sockets open (like SIGSTOP). */
  freeze(): void {
    if (this.modeValue !== 'running') return;
    this.modeValue = 'frozen';
    this.stopTimers();
    for (const s of this.sessions) {
      clearTimeout(s.goaway);
      s.goaway = undefined;
      s.socket.pause();
    }
  }

  /** Resumes after {@link freeze}: queued input is processed, held requests answered. */
  thaw(): void {
    if (this.modeValue !== 'frozen') return;
    this.modeValue = 'running';
    for (const s of this.sessions) {
      s.socket.resume();
      if (!this.holder && s.cluster) this.scheduleGoaway(s);
    }
    for (const run of this.heldRequests.splice(0)) run();
    this.startTimers();
  }

  /** Stops for good. */
  stop(): Promise<void> {
    return this.kill();
  }

  /**
   * Asks the server to write every connected agent's snapshot and its translation output now.
   * A server that does not hold the lock refuses without touching Redis; with
   * `bypassLockCheck` it sends the fenced write anyway, so a test can show Redis refuses it too.
   */
  async writeNow(opts: { bypassLockCheck?: boolean } = {}): Promise<WriteNowResult> {
    const targets: { key: string; data: string; session?: Session }[] = [
      { key: TRANSLATION_KEY, data: this.translationOutput() },
    ];
    for (const s of this.sessions)
      if (s.cluster && s.snapshot)
        targets.push({ key: `snapshot:${s.cluster}`, data: s.snapshot, session: s });
    const results = await Promise.all(
      targets.map((t) => this.fencedWrite(t.key, t.data, opts.bypassLockCheck ?? false, t.session)),
    );
    const reasons = [...new Set(results.filter((r) => !r.ok).map((r) => r.reason ?? ''))];
    return {
      accepted: results.filter((r) => r.ok).length,
      refused: results.filter((r) => !r.ok).length,
      reasons,
    };
  }

  /**
   * The metrics page (Prometheus text, Gloo's metric names plus `sandbox_*`): of one replica (its
   * own agents only, as each Gloo pod reports), or of all replicas together when none is given.
   */
  metricsText(replica?: number): string {
    const sessions = [...this.sessions].filter(
      (s) => s.cluster && (replica === undefined || s.replica === replica),
    );
    const gauge = (name: string, help: string, value: (s: Session) => number) => [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} gauge`,
      ...sessions.map((s) => `${name}{cluster="${s.cluster}"} ${value(s)}`),
    ];
    return [
      ...gauge(
        'relay_pull_clients_connected',
        'Current number of connected Relay pull clients (Relay Agents).',
        () => 1,
      ),
      ...gauge(
        'relay_push_clients_connected',
        'Current number of connected Relay push clients (Relay Agents).',
        () => 1,
      ),
      ...gauge(
        'relay_push_clients_warmed',
        'Current number of warmed Relay push clients (Relay Agents).',
        (s) => (s.warmed ? 1 : 0),
      ),
      '# HELP translation_error Number of translation errors.',
      '# TYPE translation_error counter',
      'translation_error 0',
      '# HELP gloo_mesh_redis_sync_err Number of errors syncing with Redis.',
      '# TYPE gloo_mesh_redis_sync_err counter',
      `gloo_mesh_redis_sync_err ${this.syncErrors}`,
      '# HELP sandbox_accepted_writes_total Writes to Redis that were accepted (sandbox only).',
      '# TYPE sandbox_accepted_writes_total counter',
      `sandbox_accepted_writes_total ${this.accepted}`,
      '# HELP sandbox_refused_writes_total Writes refused: not the lock holder, fenced, or READONLY (sandbox only).',
      '# TYPE sandbox_refused_writes_total counter',
      `sandbox_refused_writes_total ${this.refused}`,
      '# HELP sandbox_lock_holder 1 when this server holds the global lock (sandbox only).',
      '# TYPE sandbox_lock_holder gauge',
      `sandbox_lock_holder{cluster="${this.cluster}"} ${this.holder ? 1 : 0}`,
      '',
    ].join('\n');
  }

  // ---------------------------------------------------------------------------------------------

  private startTimers(): void {
    this.timers.push(
      setInterval(() => void this.pollLock(), this.opts.lockPollMs ?? 100),
      setInterval(() => {
        if (this.holder) void this.fencedWrite(TRANSLATION_KEY, this.translationOutput(), false);
      }, this.opts.translationWriteMs ?? 250),
    );
  }

  private stopTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private translationOutput(): string {
    return JSON.stringify({
      server: this.cluster,
      clusters: this.connectedClusters().length,
      at: Date.now(),
    });
  }

  private async pollLock(): Promise<void> {
    if (this.polling || this.modeValue !== 'running' || !this.redis) return;
    const generation = this.generation;
    this.polling = true;
    try {
      let holds: boolean;
      if (this.lockless) {
        const role = (await this.redis.call('ROLE')) as [string, ...unknown[]];
        if (this.modeValue !== 'running' || generation !== this.generation) return;
        holds = role[0] === 'master';
      } else {
        const state = await new RedisGlobalLock(this.redis, this.lock).read();
        if (this.modeValue !== 'running' || generation !== this.generation) return;
        this.epoch = state.epoch;
        holds = state.rawValue === this.lockValue;
      }
      this.redisOk = true;
      const first = !this.lockKnown;
      this.lockKnown = true;
      if (holds !== this.holder) this.setHolder(holds);
      else if (first && !holds) for (const s of this.sessions) this.scheduleGoaway(s);
    } catch {
      if (generation !== this.generation) return;
      this.redisOk = false;
      this.syncErrors++;
    } finally {
      if (generation === this.generation) this.polling = false;
    }
  }

  private setHolder(holds: boolean): void {
    this.holder = holds;
    this.holderSince = holds ? Date.now() : null;
    this.emit('holder', { server: this.cluster, holder: holds, at: Date.now() });
    for (const s of this.sessions) {
      if (holds) {
        clearTimeout(s.goaway);
        s.goaway = undefined;
        if (s.cluster && s.snapshot && !s.warmed) void this.writeSnapshot(s);
      } else {
        s.warmed = false;
        if (s.cluster) sendMessage(s.socket, { t: 'goaway', reason: 'lost the global lock' });
      }
    }
  }

  private scheduleGoaway(s: Session): void {
    clearTimeout(s.goaway);
    s.goaway = setTimeout(() => {
      s.goaway = undefined;
      if (this.modeValue === 'running' && !this.holder && this.sessions.has(s))
        sendMessage(s.socket, { t: 'goaway', reason: 'this management server is passive' });
    }, this.opts.passiveGraceMs);
  }

  private async writeSnapshot(s: Session): Promise<void> {
    if (!s.cluster || !s.snapshot) return;
    await this.fencedWrite(`snapshot:${s.cluster}`, s.snapshot, false, s);
  }

  private async fencedWrite(
    key: string,
    data: string,
    bypassLockCheck: boolean,
    session?: Session,
  ): Promise<{ ok: boolean; reason?: string }> {
    const at = Date.now();
    const generation = this.generation;
    let ok = false;
    let reason: string | undefined;
    if (!this.holder && !bypassLockCheck) reason = 'not-holder';
    else if (!this.redis || this.modeValue !== 'running') reason = 'server not running';
    else {
      try {
        const [written, detail] = (
          this.lockless
            ? await this.redis.eval(PLAIN_WRITE, 1, key, data)
            : await this.redis.eval(
                FENCED_WRITE,
                3,
                this.lock.key,
                this.lock.epochKey,
                key,
                this.lockValue,
                data,
              )
        ) as [number, string];
        ok = written === 1;
        if (!ok) reason = `lock-mismatch (lock holds ${JSON.stringify(detail)})`;
      } catch (e) {
        reason = (e as Error).message;
      }
    }
    if (generation === this.generation) {
      if (ok) this.accepted++;
      else this.refused++;
    }
    // The session may have left, or the lock been lost, while the write was in flight.
    if (ok && session && this.sessions.has(session) && this.holder) session.warmed = true;
    this.emit('write', { server: this.cluster, key, accepted: ok, at, reason } satisfies WriteEvent);
    return { ok, reason };
  }

  private onConnection(socket: Socket): void {
    if (this.liveReplicas().length === 0) {
      socket.destroy();
      return;
    }
    const session: Session = { socket, replica: 0, cluster: null, snapshot: null, warmed: false };
    this.sessions.add(session);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(session.goaway);
      this.sessions.delete(session);
    });
    if (this.modeValue === 'frozen') socket.pause();
    onMessages(socket, (m) => this.onMessage(session, m));
  }

  private onMessage(s: Session, m: RelayMessage): void {
    if (this.modeValue !== 'running') return;
    switch (m.t) {
      case 'hello': {
        // One session per agent cluster: a reconnecting agent replaces its old connection.
        for (const other of this.sessions)
          if (other !== s && other.cluster === m.cluster) {
            other.cluster = null;
            other.socket.destroy();
          }
        s.cluster = m.cluster;
        s.replica = this.replicaFor(m.cluster);
        sendMessage(s.socket, { t: 'welcome', server: this.cluster, active: this.holder });
        if (!this.holder && this.lockKnown) this.scheduleGoaway(s);
        break;
      }
      case 'heartbeat':
        sendMessage(s.socket, { t: 'ack', seq: m.seq });
        break;
      case 'snapshot':
        if (!s.cluster) break;
        s.snapshot = JSON.stringify(m.data ?? null);
        s.warmed = false;
        if (this.holder) void this.writeSnapshot(s);
        else {
          this.refused++;
          this.emit('write', {
            server: this.cluster,
            key: `snapshot:${s.cluster}`,
            accepted: false,
            at: Date.now(),
            reason: 'not-holder',
          } satisfies WriteEvent);
        }
        break;
      case 'ping':
        sendMessage(s.socket, { t: 'pong', server: this.cluster });
        break;
      default:
        break;
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const handle = () => void this.route(req, res);
    if (this.modeValue === 'frozen') this.heldRequests.push(handle);
    else handle();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const reply = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method === 'GET' && url.pathname === '/metrics')
      return reply(200, this.metricsText(), 'text/plain; version=0.0.4; charset=utf-8');
    if (req.method === 'GET' && url.pathname === '/health')
      return reply(
        200,
        JSON.stringify({
          cluster: this.cluster,
          active: this.holder,
          redis: this.redisOk ? 'ok' : 'unreachable',
          agents: this.connectedClusters().length,
        }),
      );
    if (req.method === 'POST' && url.pathname === '/write') {
      const result = await this.writeNow({ bypassLockCheck: url.searchParams.get('force') === '1' });
      return reply(200, JSON.stringify(result));
    }
    reply(404, JSON.stringify({ error: 'not found' }));
  }
}

function listen(server: TcpServer | HttpServer | TlsServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    // A backlog above Node's default 511, so 1,000 agents connecting at once are not dropped
    // (the kernel caps it at net.core.somaxconn, as it does for a Go server).
    server.listen({ port, host, backlog: 4_096 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function close(server: TcpServer | HttpServer | TlsServer | null): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
