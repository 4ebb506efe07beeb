/**
 * Readiness checks of configuration that a failover depends on but never changes: the DNS
 * pointer's parts (records, health checks, routing controls or alarms) exist and match the
 * topology, and the re-protect registry (the datastore record) is whole and the same in every
 * region. Both read control planes (Route 53 in us-east-1, SSM in the peer region), which is why
 * they run here, on a schedule, and not in the recovery path.
 */
import { isDeepStrictEqual } from 'node:util';
import { normaliseDnsName } from '#lib/dns-record.ts';
import { clusterForRecord } from '#lib/observe.ts';
import type { DatastoreRecord, DatastoreRegistry, DnsAnswers, DnsInventory, DnsSwitch } from '#lib/ports.ts';
import type { Region, Topology } from '#lib/topology.ts';

/** A check's verdict (the readiness core adds the name). */
export interface CheckVerdict {
  ok: boolean;
  reason: string;
}

/** What {@link dnsPointerCheck} reads. */
export interface DnsPointerCheckPorts {
  dnsInventory: DnsInventory;
  dnsSwitch: DnsSwitch;
  dnsAnswers: DnsAnswers;
}

/**
 * The DNS pointer is whole: `route53-record`: one simple record whose value is a server's; the
 * data-plane modes: the PRIMARY and SECONDARY failover records with the topology's set identifiers
 * and health check ids, each health check present and driven by the topology's routing control
 * (`RECOVERY_CONTROL`) or alarm (`CLOUDWATCH_METRIC`); then the switch reads (routing controls,
 * alarms) and selects a server, and the name servers answer that server.
 * Route 53 lets a health check be deleted while records use it, after which "the future status of
 * the health check can't be predicted" (Route 53 API reference, DeleteHealthCheck): the failover
 * would then flip, or not, at random.
 */
export async function dnsPointerCheck(t: Topology, ports: DnsPointerCheckPorts): Promise<CheckVerdict> {
  const problems: string[] = [];
  let note = '';
  try {
    problems.push(...(await inventoryProblems(t, ports)));
  } catch (e) {
    // Route 53's control plane (us-east-1) does not answer: the record switch needs it, the
    // data-plane switches do not.
    const why = (e as Error).message;
    if (t.dns.switch.mode === 'route53-record')
      problems.push(`the Route 53 control plane does not answer (${why}): the record switch would fail now`);
    else
      note = `; records and health checks not read (${why}): the ${t.dns.switch.mode} switch does not need that control plane`;
  }
  let selects: string | null = null;
  try {
    const state = await ports.dnsSwitch.state();
    selects = state.selects;
    if (selects === null)
      problems.push(`the ${t.dns.switch.mode} switch selects neither server (${state.detail})`);
  } catch (e) {
    problems.push(`cannot read the ${t.dns.switch.mode} switch: ${(e as Error).message}`);
  }
  const seen = await ports.dnsAnswers.resolve();
  if (seen.pointsTo === null)
    problems.push(
      `the name servers answer neither server (${seen.answers.map((a) => `${a.from}: ${a.error ?? a.values.join(',')}`).join('; ')})`,
    );
  else if (selects !== null && seen.pointsTo !== selects)
    problems.push(`the switch selects ${selects} but the name servers answer ${seen.pointsTo}`);
  if (problems.length) return { ok: false, reason: problems.join('; ') };
  const parts = t.dns.failover ? 'the failover pair and its 2 health checks' : 'the record';
  return {
    ok: true,
    reason: `${t.dns.switch.mode}: ${note ? '' : `${parts} as the topology says; `}the switch and the name servers select ${selects}${note}`,
  };
}

/** What the DNS provider's control plane lists that differs from the topology (throws when it does not answer). */
async function inventoryProblems(t: Topology, ports: DnsPointerCheckPorts): Promise<string[]> {
  const name = `${t.dns.recordName} ${t.dns.recordType}`;
  const problems: string[] = [];
  const records = await ports.dnsInventory.recordSets();
  const pair = t.dns.failover;
  if (!pair) {
    const simple = records.filter((r) => r.setIdentifier === undefined && r.aliasTarget === undefined);
    if (simple.length !== 1 || records.length !== 1)
      problems.push(
        `${name}: expected one simple record, found ${records.length} record set(s)${records.some((r) => r.setIdentifier) ? ' with a routing policy' : ''}`,
      );
    else if (!clusterForRecord(t, simple[0]!))
      problems.push(`${name} points at ${simple[0]!.values.join(', ')}, which is neither server`);
  } else {
    for (const role of ['primary', 'secondary'] as const) {
      const want = pair[role];
      const ROLE = role.toUpperCase();
      const rec = records.find((r) => r.setIdentifier === want.setIdentifier);
      if (!rec) {
        problems.push(
          `the ${ROLE} failover record of ${name} (set identifier "${want.setIdentifier}") does not exist`,
        );
        continue;
      }
      if (rec.failover !== ROLE)
        problems.push(
          `record "${want.setIdentifier}" is ${rec.failover ?? 'not a failover record'}, expected ${ROLE}`,
        );
      // With dns.create the deployment made the health check: the record's id is the one to check.
      if (want.healthCheckId !== undefined && rec.healthCheckId !== want.healthCheckId)
        problems.push(
          `record "${want.setIdentifier}" uses health check ${rec.healthCheckId ?? '(none)'}, the topology says ${want.healthCheckId}`,
        );
      const target = want.alias ? rec.aliasTarget : undefined;
      if (want.alias && (!target || normaliseDnsName(target) !== normaliseDnsName(want.alias.dnsName)))
        problems.push(
          `record "${want.setIdentifier}" aliases ${target ?? '(no alias)'}, the topology says ${want.alias.dnsName}`,
        );
      if (!want.alias && clusterForRecord(t, rec) !== want.server)
        problems.push(
          `record "${want.setIdentifier}" has ${rec.values.join(', ') || 'no values'}, expected ${want.server}'s ${t.dns.values[want.server]}`,
        );
    }
    for (const role of ['primary', 'secondary'] as const) {
      const { server } = pair[role];
      const id =
        pair[role].healthCheckId ??
        records.find((r) => r.setIdentifier === pair[role].setIdentifier)?.healthCheckId;
      if (id === undefined) {
        problems.push(`${server}'s failover record has no health check`);
        continue;
      }
      const hc = await ports.dnsInventory.healthCheck(id);
      if (!hc) {
        problems.push(`health check ${id} (${server}'s failover record) does not exist`);
        continue;
      }
      const sw = t.dns.switch;
      if (sw.mode === 'arc-routing-control') {
        // With dns.create the routing control's ARN is the deployment's (not in the topology).
        const arn = sw.routingControls[server]?.arn;
        if (hc.type !== 'RECOVERY_CONTROL' || (arn !== undefined && hc.routingControlArn !== arn))
          problems.push(
            `health check ${id} is ${hc.type}${hc.routingControlArn ? ` on ${hc.routingControlArn}` : ''}, expected RECOVERY_CONTROL on ${arn ?? 'a routing control'}`,
          );
      } else if (sw.mode === 'health-check-metric') {
        const a = sw.alarms[server];
        if (
          hc.type !== 'CLOUDWATCH_METRIC' ||
          hc.alarm?.name !== a?.alarmName ||
          hc.alarm?.region !== a?.region
        )
          problems.push(
            `health check ${id} is ${hc.type}${hc.alarm ? ` on ${hc.alarm.name} (${hc.alarm.region})` : ''}, expected CLOUDWATCH_METRIC on ${a?.alarmName} (${a?.region})`,
          );
      }
    }
  }
  return problems;
}

/** What {@link reprotectRegistryCheck} reads: this region's copy and, on AWS, the peer region's. */
export interface RegistryCheckPorts {
  datastores?: DatastoreRegistry;
  /** The peer region's copy (re-protection writes every region's copy). */
  peerDatastores?: { region: Region; registry: DatastoreRegistry };
}

/**
 * The re-protect registry is consistent: no record (the topology's Redis is current), or a record
 * naming a member in every region of `redis.members`, and the same record in the peer region (a
 * re-protection that stopped between the two writes leaves them different: the steps in each
 * region would then act on different datastores).
 */
export async function reprotectRegistryCheck(
  t: Topology,
  region: Region,
  ports: RegistryCheckPorts,
): Promise<CheckVerdict> {
  if (!ports.datastores) return { ok: true, reason: 'no re-protect registry in this deployment' };
  const own = await ports.datastores.read();
  const peer = ports.peerDatastores;
  // The peer's copy is compared when it can be read. When it cannot (its region out: the very case
  // a failover is for), that is no reason to refuse: the steps here read this region's copy only.
  let peerRec: DatastoreRecord | null | undefined;
  let peerNote = '';
  if (peer)
    try {
      peerRec = await peer.registry.read();
    } catch (e) {
      peerNote = `; ${peer.region}'s copy not read (${(e as Error).message})`;
    }
  const problems: string[] = [];
  if (peer && peerRec !== undefined && !isDeepStrictEqual(own, peerRec))
    problems.push(
      `${region} has ${describe(own)} but ${peer.region} has ${describe(peerRec)}: a re-protection did not finish writing every region (run the reprotect workflow again: it rewrites both)`,
    );
  if (own) {
    const missing = Object.keys(t.redis.members).filter((r) => !own.members[r as Region]);
    if (missing.length)
      problems.push(
        `${describe(own)} names no Redis member in ${missing.join(', ')}: a failover there would find no Redis`,
      );
  }
  if (problems.length) return { ok: false, reason: problems.join('; ') };
  const compared = peer && peerRec !== undefined;
  return own
    ? {
        ok: true,
        reason: `${describe(own)}, members in ${Object.keys(own.members).join(', ')}${compared ? `, the same in ${peer.region}` : ''}${peerNote}`,
      }
    : {
        ok: true,
        reason: `no re-protection recorded${compared ? ` (nor in ${peer.region})` : ''}: the topology's Redis is current${peerNote}`,
      };
}

function describe(r: DatastoreRecord | null): string {
  if (!r) return 'no record';
  return `generation ${r.generation}${r.globalReplicationGroupId ? ` (${r.globalReplicationGroupId})` : ''} recorded by ${r.recordedBy} at ${r.recordedAt}`;
}
