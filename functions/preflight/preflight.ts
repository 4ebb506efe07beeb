/**
 * Step 1, preflight: reads the current state, checks the target can take over, and records a plan.
 * Read-only. Target not ready -> `TargetNotReady` with the reasons; already switched -> a plan that
 * says so (`alreadyActive`), and the workflow ends `AlreadyActive`.
 */
import { iso } from '#lib/clock.ts';
import { RunInProgress, TargetNotReady } from '#lib/errors.ts';
import { describeSet, runSetKey } from '#lib/expected-set.ts';
import { checkHealth, healthTarget } from '#lib/health-check.ts';
import { describeReading } from '#lib/metrics/reading.ts';
import { type ObservePorts, observe } from '#lib/observe.ts';
import { relayTlsReadiness, telemetryReadiness } from '#lib/readiness.ts';
import type { Plan, Run } from '#lib/state.ts';
import { type Server, serverById, type Topology } from '#lib/topology.ts';
import type { Ports, RunningRun } from '#lib/wiring.ts';

/** The ports preflight reads. */
export type PreflightPorts = ObservePorts &
  Pick<
    Ports,
    | 'clock'
    | 'runs'
    | 'probes'
    | 'agentMetrics'
    | 'registry'
    | 'tls'
    | 'pem'
    | 'lockReadiness'
    | 'leftoverLock'
  >;

/** Preflight: see the module comment. */
export async function preflight(run: Run, t: Topology, ports: PreflightPorts): Promise<Plan> {
  const startedAt = iso(ports.clock);
  const { source, target } = run;
  const targetServer = serverById(t, target.server);
  const warnings: string[] = [];

  // Exactly one of several concurrent runs goes on: the one that started first (ties: the
  // smaller execution id). Two runs started together never refuse each other.
  const others = (await ports.runs.othersRunning(run.executionId)).filter((o) => startedBefore(o, run));
  if (others.length > 0)
    throw new RunInProgress(
      `another run started earlier and is still in progress for this management plane: ${others.map((o) => o.id).join(', ')}`,
      { others },
    );

  const seen = await observe(t, ports, target.region);
  const targetMember = seen.redis?.members.find((m) => m.region === target.region);
  const sourceMember = seen.redis?.members.find((m) => m.region === source.region);
  const redisPromoted = seen.redis?.primaryRegion === target.region;
  const adapter = t.lock.adapter;
  // redis-key: the lock must name the target too. meshctl: Gloo's key is not readable, so a re-run
  // is never "already active": it goes on from the promotion (a no-op) and runs switch-active
  // again, which sets the same state (harmless). write-to-all: there is no lock.
  const switched =
    redisPromoted &&
    seen.dnsPointsTo === target.server &&
    (adapter === 'none' || (adapter === 'redis-key' && seen.lock?.holder === target.server));
  // After an unplanned promotion the old primary may come back as a writable island whose lock
  // still names the old server: then the run is not done, it must fence it (promotion demotes it
  // where it can, switch-lock writes the lock there).
  const unfenced =
    switched && adapter === 'redis-key' && sourceMember?.reachable === true && sourceMember.role === 'primary'
      ? await sourceLockHolder(run, ports)
      : null;
  const alreadyActive = switched && (unfenced === null || unfenced === target.server);

  // Readiness of the target: its server answers, its Redis member answers and can be promoted safely.
  const readiness: string[] = [];
  const problems: string[] = [];
  const health = await checkHealth(targetServer, ports.probes, t.verification.probeTimeoutMs);
  if (health.ok)
    readiness.push(
      `target server ${target.server} health (${healthTarget(targetServer)}): ${health.detail} in ${health.latencyMs} ms`,
    );
  else
    problems.push(
      `target server ${target.server} is not healthy (${healthTarget(targetServer)}: ${health.detail})`,
    );

  // The agents must accept the target's relay certificate, or they fail TLS after the switch and
  // the run only times out; and its telemetry gateway must take the collectors' exports.
  const timeout = t.verification.probeTimeoutMs;
  for (const check of await Promise.all([
    relayTlsReadiness(targetServer, ports, timeout),
    telemetryReadiness(targetServer, ports, timeout),
  ]))
    if (check) (check.ok ? readiness : problems).push(check.line);

  if (!seen.redis) problems.push(`cannot read the Redis topology: ${seen.redisError}`);
  else if (!targetMember?.reachable)
    problems.push(
      `target Redis member in ${target.region} does not answer (${targetMember?.detail ?? 'not found'})`,
    );
  else if (redisPromoted) readiness.push(`target Redis in ${target.region} is already primary`);
  else if (targetMember.role !== 'replica')
    problems.push(
      `target Redis in ${target.region} is ${targetMember.role}, not a replica of the current primary: resync it first (re-add it as a secondary and let it catch up)`,
    );
  else if (sourceMember?.reachable && sourceMember.role === 'primary' && !targetMember.inSync)
    problems.push(
      `target Redis in ${target.region} is not in sync (${targetMember.detail}; lag ${targetMember.lagBytes ?? 'unknown'} bytes)`,
    );
  else {
    readiness.push(`target Redis in ${target.region} is a replica (${targetMember.detail ?? 'ok'})`);
    if (!sourceMember?.reachable)
      warnings.push(
        `source Redis in ${source.region} does not answer: the promotion will be unplanned and may lose the last writes`,
      );
  }

  if (switched && !alreadyActive)
    warnings.push(
      `the old primary in ${source.region} is back as a writable Redis whose lock names ${unfenced ?? 'nobody'}: this run fences it`,
    );
  await modeReadiness(run, t, ports, readiness, problems, warnings);
  if (adapter !== 'redis-key') {
    // no lock of ours to read
  } else if (!seen.lock) warnings.push(`cannot read the global lock: ${seen.lockError}`);
  else if (seen.lock.holder !== source.server && seen.lock.holder !== target.server && !run.input.force.lock)
    problems.push(
      `the global lock is held by ${seen.lock.holder ?? 'nobody'}, neither ${source.server} nor ${target.server} (pass force.lock to take it)`,
    );

  const cpWarning = controlPlaneWarning(t, source.region, run.direction);
  if (cpWarning) warnings.push(cpWarning);
  if (!seen.dns) warnings.push(`cannot read the DNS record: ${seen.dnsError ?? 'record not found'}`);
  else if (seen.dnsError)
    warnings.push(
      `cannot read the DNS switch (${seen.dnsError}); the data plane answers ${seen.dnsPointsTo ?? 'neither server'}`,
    );
  else if (seen.dnsPointsTo === null && !run.input.force.dns)
    problems.push(
      `the DNS record ${t.dns.recordName} points at ${seen.dns.values.join(', ')}, which is neither server (pass force.dns to overwrite it)`,
    );

  // The agents that must come back: the configured list, or those last seen on the source, plus
  // those connected to it right now when it still answers (a planned failback): a last-seen record
  // taken while agents were still reconnecting must not shrink the set.
  let expectedClusters: string[] = [];
  let expectedClustersSource: string = t.reconnection.expectedClusters.source;
  if (t.reconnection.expectedClusters.source === 'static')
    expectedClusters = t.reconnection.expectedClusters.clusters;
  else {
    const [last, live] = await Promise.all([
      ports.registry.lastSeen(source.server).catch((e: Error) => {
        warnings.push(`cannot read the last-seen clusters: ${e.message}`);
        return null;
      }),
      connectedNow(serverById(t, source.server), t, ports, warnings),
    ]);
    expectedClusters = [...new Set([...(last?.clusters ?? []), ...live])].sort();
    const from = [
      last?.clusters.length ? `last-seen on ${source.server} at ${last.at}` : '',
      live.length ? `connected to ${source.server} now` : '',
    ].filter(Boolean);
    expectedClustersSource = from.join(' + ') || 'none';
    if (expectedClusters.length === 0)
      warnings.push(
        `no record of the clusters last seen on ${source.server}: reconnection is checked against what ${target.server} reports`,
      );
  }

  if (problems.length > 0 && !alreadyActive)
    throw new TargetNotReady(`${target.server} is not ready to take over: ${problems.join('; ')}`, {
      problems,
      readiness,
    });

  // The list stays out of the workflow state (256 KB limit): a static list is in the topology, a
  // recorded one is kept under the run's key for confirm-reconnect (not in a dry run, which never
  // reaches it, nor when there is nothing to keep).
  const isStatic = t.reconnection.expectedClusters.source === 'static';
  const keep = !isStatic && !run.input.dryRun && !alreadyActive && expectedClusters.length > 0;
  if (keep) await ports.registry.saveRunSet(runSetKey(run.executionId), expectedClusters, startedAt);
  const expected = describeSet(expectedClusters, isStatic ? 'topology' : keep ? 'registry' : 'none');

  return {
    startedAt,
    endedAt: iso(ports.clock),
    dryRun: run.input.dryRun,
    trigger: run.input.trigger,
    detachRedis: run.input.force.detachRedis,
    alreadyActive,
    redisPromoted,
    before: {
      lock: seen.lock,
      redisPrimary: seen.redis?.primaryRegion ?? null,
      redisGroupStatus: seen.redis?.groupStatus,
      dns: seen.dns,
      dnsPointsTo: seen.dnsPointsTo,
    },
    expectedClusters: expected,
    expectedClustersSource,
    targetReadiness: readiness,
    warnings,
  };
}

/** Where Route 53's control plane is served from, by partition (AWS Fault Isolation Boundaries). */
export const ROUTE53_CONTROL_PLANE_REGIONS: readonly string[] = ['us-east-1', 'us-gov-west-1'];

/**
 * The warning preflight gives (in the plan, hence the report and the Slack approval) when the DNS
 * switch is the record compare-and-swap and the region being left hosts Route 53's control plane:
 * the DNS step may then fail, and the run end `HaltedAfterPromotion` (Redis and lock moved, DNS not).
 */
export function controlPlaneWarning(
  t: Topology,
  sourceRegion: string,
  direction: 'failover' | 'failback' = 'failover',
): string | null {
  if (t.dns.switch.mode !== 'route53-record' || !ROUTE53_CONTROL_PLANE_REGIONS.includes(sourceRegion))
    return null;
  // The workflow's switch order (workflows/definition.ts defaultOrder): a failover without a
  // before-dns gate switches DNS first; otherwise DNS comes after the promotion and the lock.
  const dnsFirst = direction === 'failover' && !t.approvals.gates.includes('before-dns');
  const end = dnsFirst
    ? 'DnsChangeFailed (nothing else changed: the outage goes on)'
    : 'HaltedAfterPromotion (Redis and lock moved, DNS not)';
  return `DNS switch route53-record: ChangeResourceRecordSets is a Route 53 control-plane call served from ${sourceRegion}, the region being left; if that region is out, the DNS step fails and the run ends ${end}. Use dns.switch.mode arc-routing-control or health-check-metric (data plane) to remove that dependency`;
}

/**
 * The configuration mode against reality: in write-to-one the lock adapter must be able to act for
 * the target (meshctl: its kube context is configured); in write-to-all a lock key left by an
 * earlier write-to-one run is worth a warning (nothing uses it now).
 */
async function modeReadiness(
  run: Run,
  t: Topology,
  ports: Pick<Ports, 'lockReadiness' | 'leftoverLock'>,
  readiness: string[],
  problems: string[],
  warnings: string[],
): Promise<void> {
  if (t.configMode === 'write-to-one' && ports.lockReadiness) {
    const r = await ports.lockReadiness(run.target.server);
    if (r.ok) readiness.push(`lock adapter ${t.lock.adapter}: ${r.detail}`);
    else problems.push(`lock adapter ${t.lock.adapter} cannot act for ${run.target.server}: ${r.detail}`);
  }
  if (t.configMode === 'write-to-all' && ports.leftoverLock) {
    const left = await ports.leftoverLock(run.target.region).catch(() => null);
    if (left)
      warnings.push(
        `write-to-all mode, but the lock key ${left.key} of an earlier write-to-one setup still exists in ${run.target.region} (value ${JSON.stringify(left.value.slice(0, 80))}): nothing uses it in this mode; remove it once no server runs write-to-one`,
      );
  }
}

/** The holder named by the lock in the source region's own Redis (null when unreadable or absent). */
async function sourceLockHolder(run: Run, ports: Pick<Ports, 'lock'>): Promise<string | null> {
  try {
    const h = await ports.lock(run.source.region);
    try {
      return (await h.lock.read()).holder;
    } finally {
      await h.close();
    }
  } catch {
    return null;
  }
}

/** Whether another run started before this one (unknown start times count as earlier: refuse). */
function startedBefore(o: RunningRun, run: Run): boolean {
  if (!o.startedAt || !run.startedAt) return true;
  const a = Date.parse(o.startedAt);
  const b = Date.parse(run.startedAt);
  return a < b || (a === b && o.id < run.executionId);
}

/**
 * The agent clusters connected to a server now, summed over its replicas (empty when none answers).
 * A replica that does not answer is named in the warnings: its agents are unknown, not gone.
 */
async function connectedNow(
  server: Server,
  t: Topology,
  ports: Pick<Ports, 'agentMetrics'>,
  warnings: string[],
): Promise<string[]> {
  try {
    const reading = await ports.agentMetrics.read(server, t.verification.probeTimeoutMs);
    if (!reading.complete || reading.rejectedCount)
      warnings.push(`agents on ${server.id}: ${describeReading(reading)}`);
    return [...reading.clusters]
      .filter(([, c]) => c.pushConnected > 0 || c.pullConnected > 0)
      .map(([name]) => name);
  } catch {
    return [];
  }
}
