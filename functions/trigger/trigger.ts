/**
 * Trigger: maps a `CloudWatch Alarm State Change` event (EventBridge) to a failover execution.
 * Only ALARM transitions of an alarm that the topology names for a server start a run; the run
 * fails over away from that server. The execution name is deterministic per incident: every alarm
 * of one server that goes to ALARM within the same window maps to the same name, so two alarms for
 * one outage start one run (Step Functions refuses a second execution with the same name).
 */
import { createHash } from 'node:crypto';
import { parseInput } from '#lib/input.ts';
import type { ExecutionInput } from '#lib/state.ts';
import { peerOf, type Topology } from '#lib/topology.ts';
import * as z from '#lib/z.ts';

/** The parts of the EventBridge alarm event we read. */
/** An ISO-8601 timestamp as CloudWatch writes it (`2026-11-20T03:12:41.109+0000` or with `Z`). */
const Timestamp = z.string().check(
  z.maxLength(64),
  z.refine(
    (v) => !Number.isNaN(parseAlarmTime(v)),
    'expected an ISO-8601 timestamp, e.g. 2026-11-20T03:12:41.109+0000',
  ),
);

/** Milliseconds of a CloudWatch timestamp (`+0000` offsets included); NaN when it is not a date. */
export function parseAlarmTime(v: string): number {
  return Date.parse(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

export const AlarmEvent = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: Timestamp,
  region: z.string(),
  detail: z.object({
    alarmName: z.string().check(z.minLength(1), z.maxLength(255)),
    state: z.object({
      value: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
      timestamp: Timestamp,
      reason: z.optional(z.string()),
    }),
    previousState: z.optional(z.object({ value: z.string() })),
  }),
});
export type AlarmEvent = z.infer<typeof AlarmEvent>;

/** What to start, or why nothing is started. */
export type TriggerDecision =
  | {
      start: true;
      targetServer: string;
      sourceServer: string;
      executionName: string;
      input: ExecutionInput;
    }
  | { start: false; reason: string };

/** Minutes of one incident window: alarms of one server within it share an execution name. */
export const INCIDENT_WINDOW_MINUTES = 30;

/** Decides whether an alarm event starts a failover, and with what name and input. */
export function decide(event: unknown, t: Topology): TriggerDecision {
  const ev = parseInput(AlarmEvent, event, 'alarm event');
  if (ev.detail.state.value !== 'ALARM')
    return {
      start: false,
      reason: `alarm ${ev.detail.alarmName} went to ${ev.detail.state.value}, not ALARM`,
    };
  const source = t.servers.find((s) => s.alarmNames.includes(ev.detail.alarmName));
  if (!source)
    return {
      start: false,
      reason: `alarm ${ev.detail.alarmName} is not configured for any management server`,
    };
  const target = peerOf(t, source.id);
  const at = parseAlarmTime(ev.detail.state.timestamp);
  const windowMs = INCIDENT_WINDOW_MINUTES * 60_000;
  const bucket = new Date(Math.floor(at / windowMs) * windowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .slice(0, 13);
  const incidentId = `${idStem(source.id)}-down-${bucket}`;
  return {
    start: true,
    sourceServer: source.id,
    targetServer: target.id,
    // At most 9 + 64 = 73 characters: room for the `-rN` of a later attempt, never cut.
    executionName: `failover-${incidentId}`,
    input: {
      trigger: 'alarm',
      incidentId,
      dryRun: false,
      requestedBy: `alarm:${ev.detail.alarmName}`,
      alarmName: ev.detail.alarmName,
      force: { lock: false, skipVerification: false, dns: false, detachRedis: false },
    },
  };
}

/** Longest server id kept whole in an incident id (64 = 45 + "-down-" + a 13-character time bucket). */
export const MAX_ID_STEM = 45;

/**
 * A server id short enough for the incident id (at most 64 characters) and the execution name (80):
 * a longer id keeps its first 36 characters and adds 8 hex characters of its sha256, so two long
 * ids that share a prefix never share an incident (slicing would have cut the time bucket off).
 */
export function idStem(id: string): string {
  if (id.length <= MAX_ID_STEM) return id;
  return `${id.slice(0, MAX_ID_STEM - 9)}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
}
