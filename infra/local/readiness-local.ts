/**
 * Continuous readiness in the sandbox: the same core (`functions/readiness/readiness.ts`) on a
 * timer, with the sandbox's ports (its alarms, Redis, servers) and injectable secrets, Slack and
 * publisher (the last report is kept, as the metric and event would be in AWS).
 */
import {
  type AlarmDetails,
  type ReadinessPorts,
  type ReadinessReport,
  readiness,
  type SecretReader,
  type SlackAuth,
} from '#functions/readiness/readiness.ts';
import type { Clock } from '#lib/clock.ts';
import type { Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/**
 * The alarm port's states with the time of their last change (the sandbox's SandboxAlarmStates
 * has them). A port without them is refused: states alone would make every INSUFFICIENT_DATA look
 * infinitely old to the TriggerAlarms check.
 */
function alarmDetailsOf(alarms: Ports['alarms']): AlarmDetails {
  const details = (alarms as Partial<AlarmDetails>).details;
  if (typeof details !== 'function')
    throw new Error('startLocalReadiness needs alarm states with their times (sandboxPorts provides them)');
  return { details: details.bind(alarms) };
}

/** Options of {@link startLocalReadiness}. */
export interface LocalReadinessOptions {
  topology: Topology;
  ports: Ports;
  clock: Clock;
  target: string;
  secrets?: SecretReader;
  slack?: SlackAuth;
  everyMs: number;
  onReport?: (r: ReadinessReport) => void;
}

/** Runs readiness now and every `everyMs`; `stop()` ends it. Reports go to `onReport`. */
export function startLocalReadiness(o: LocalReadinessOptions) {
  const published: ReadinessReport[] = [];
  const { dnsInventory } = o.ports;
  if (!dnsInventory)
    throw new Error('startLocalReadiness needs ports.dnsInventory (sandboxPorts provides it)');
  const ports: ReadinessPorts = {
    ...o.ports,
    dnsInventory,
    secrets: o.secrets ?? { check: async () => {} },
    slack: o.slack ?? { authTest: async () => ({ ok: true, detail: 'no Slack in the sandbox' }) },
    alarmDetails: alarmDetailsOf(o.ports.alarms),
    publisher: {
      publish: async (r) => {
        published.push(r);
        o.onReport?.(r);
      },
    },
  };
  const evaluate = () => readiness(o.topology, ports, o.clock, { target: o.target });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    await evaluate().catch(() => {});
    if (!stopped) timer = setTimeout(tick, o.everyMs);
  };
  void tick();
  return {
    published,
    evaluate,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
