/**
 * The sandbox alarm evaluator, standing in for the AWS health-probe Lambda plus a CloudWatch alarm.
 *
 * Every `periodMs` it probes each management server's relay port from the OTHER region (the
 * "probe region", as the AWS probe runs in the peer region) and records a `RelayReachable`
 * datapoint (1/0). The alarm `sandbox-<cluster>-relay-down` goes to ALARM after `datapoints`
 * consecutive 0s and back to OK as soon as fewer than that many of the last ones are 0 (M of N
 * with M = N, as CloudWatch evaluates it); INSUFFICIENT_DATA until there is an answer.
 * The probe is a relay ping (connect + ping/pong), so a frozen server, which still completes TCP
 * handshakes, is seen as down. Every state change emits an EventBridge
 * `CloudWatch Alarm State Change` event shaped like fixtures/cloudwatch-alarm-state-change.json.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AlarmStateValue } from '#lib/ports.ts';
import type { Region } from '#lib/topology.ts';
import { relayPing } from './protocol.ts';

/** The fake account id used in ARNs and events. */
export const SANDBOX_ACCOUNT = '123456789012';

/** One alarm: which server it watches and from where. */
export interface AlarmTarget {
  alarmName: string;
  /** The management cluster watched. */
  cluster: string;
  /** The region of the management cluster watched. */
  region: Region;
  /** The region the probe runs in (and the event comes from). */
  probeRegion: Region;
  host: string;
  port: number;
  /** The relay speaks TLS (the probe then pings over TLS without checking the certificate). */
  tls?: boolean;
}

/** Options of {@link AlarmEvaluator}. */
export interface AlarmEvaluatorOptions {
  periodMs: number;
  datapoints: number;
  targets: AlarmTarget[];
}

/** An EventBridge `CloudWatch Alarm State Change` event. */
export interface AlarmStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'CloudWatch Alarm State Change';
  source: 'aws.cloudwatch';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    alarmName: string;
    state: { value: AlarmStateValue; reason: string; reasonData: string; timestamp: string };
    previousState: { value: AlarmStateValue; reason: string; timestamp: string };
    configuration: {
      description: string;
      metrics: {
        id: string;
        metricStat: {
          metric: { namespace: string; name: string; dimensions: Record<string, string> };
          period: number;
          stat: string;
        };
        returnData: boolean;
      }[];
    };
  };
}

interface AlarmRuntime {
  target: AlarmTarget;
  state: AlarmStateValue;
  reason: string;
  since: Date;
  points: { at: Date; value: number }[];
  probing: boolean;
}

/** CloudWatch's timestamp format in alarm events: `2026-11-20T03:12:41.109+0000`. */
function cwTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

/** Evaluates the relay-down alarms and emits `alarm` events on every state change. */
export class AlarmEvaluator extends EventEmitter {
  private readonly opts: AlarmEvaluatorOptions;
  private readonly alarms: AlarmRuntime[];
  private timer: NodeJS.Timeout | null = null;
  /** When false, states are still evaluated but no events are emitted. */
  emitEvents = true;

  constructor(opts: AlarmEvaluatorOptions) {
    super();
    this.opts = opts;
    this.alarms = opts.targets.map((target) => ({
      target,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      since: new Date(),
      points: [],
      probing: false,
    }));
  }

  /** Starts probing every period (the first probe runs at once). */
  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.opts.periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Current states by alarm name (`MISSING` for names that are not sandbox alarms). */
  states(names?: string[]): Record<string, AlarmStateValue> {
    const list = names ?? this.alarms.map((a) => a.target.alarmName);
    return Object.fromEntries(
      list.map((n) => [n, this.alarms.find((a) => a.target.alarmName === n)?.state ?? 'MISSING']),
    );
  }

  /** When each alarm last changed state (ms since the epoch; absent for names that are not sandbox alarms). */
  since(names?: string[]): Record<string, number> {
    const list = names ?? this.alarms.map((a) => a.target.alarmName);
    return Object.fromEntries(
      list.flatMap((n) => {
        const a = this.alarms.find((x) => x.target.alarmName === n);
        return a ? [[n, a.since.getTime()]] : [];
      }),
    );
  }

  private tick(): void {
    for (const a of this.alarms) {
      if (a.probing) continue;
      a.probing = true;
      const timeout = Math.max(50, Math.min(400, this.opts.periodMs - 50));
      void relayPing(a.target.host, a.target.port, timeout, a.target.tls ?? false).then((r) => {
        a.probing = false;
        if (!this.timer) return;
        this.record(a, r.ok ? 1 : 0);
      });
    }
  }

  private record(a: AlarmRuntime, value: number): void {
    const n = this.opts.datapoints;
    a.points.push({ at: new Date(), value });
    if (a.points.length > n) a.points.shift();
    const breaching = a.points.filter((p) => p.value < 1).length;
    let next: AlarmStateValue;
    if (a.points.length >= n && breaching >= n) next = 'ALARM';
    else if (a.points.length < n && breaching === a.points.length) next = 'INSUFFICIENT_DATA';
    else next = 'OK';
    if (next === a.state) return;
    const previous = { value: a.state, reason: a.reason, timestamp: cwTimestamp(a.since) };
    const now = new Date();
    const recent = a.points.map((p) => p.value.toFixed(1));
    a.state = next;
    a.since = now;
    a.reason =
      next === 'ALARM'
        ? `Threshold Crossed: ${n} out of the last ${n} datapoints [${recent.join(', ')}] were less than the threshold (1.0) (minimum ${n} datapoints for OK -> ALARM transition).`
        : `Threshold Crossed: ${n} out of the last ${n} datapoints were not less than the threshold (1.0).`;
    if (this.emitEvents) this.emit('alarm', this.event(a, previous, now));
  }

  private event(
    a: AlarmRuntime,
    previousState: AlarmStateChangeEvent['detail']['previousState'],
    now: Date,
  ): AlarmStateChangeEvent {
    const t = a.target;
    const periodSeconds = this.opts.periodMs / 1000;
    const first = a.points[0]?.at ?? now;
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: SANDBOX_ACCOUNT,
      time: `${now.toISOString().slice(0, 19)}Z`,
      region: t.probeRegion,
      resources: [`arn:aws:cloudwatch:${t.probeRegion}:${SANDBOX_ACCOUNT}:alarm:${t.alarmName}`],
      detail: {
        alarmName: t.alarmName,
        state: {
          value: a.state,
          reason: a.reason,
          reasonData: JSON.stringify({
            version: '1.0',
            queryDate: cwTimestamp(now),
            startDate: cwTimestamp(first),
            statistic: 'Minimum',
            period: periodSeconds,
            recentDatapoints: a.points.map((p) => p.value),
            threshold: 1.0,
            evaluatedDatapoints: a.points.slice(-1).map((p) => ({
              timestamp: cwTimestamp(p.at),
              sampleCount: 1.0,
              value: p.value,
            })),
          }),
          timestamp: cwTimestamp(now),
        },
        previousState,
        configuration: {
          description: `Relay port of the Gloo management server ${t.cluster} (${t.region}) is unreachable from the ${t.probeRegion} probe`,
          metrics: [
            {
              id: 'm1',
              metricStat: {
                metric: {
                  namespace: 'GlooFailover/Probes',
                  name: 'RelayReachable',
                  dimensions: { ManagementCluster: t.cluster, ProbeRegion: t.probeRegion },
                },
                period: periodSeconds,
                stat: 'Minimum',
              },
              returnData: true,
            },
          ],
        },
      },
    };
  }
}
