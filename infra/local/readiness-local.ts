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

/** Alarm details: the sandbox's (with state times) when the port has them, else states alone. */
export function alarmDetailsFrom(alarms: Ports['alarms']): AlarmDetails {
  const withTimes = alarms as Ports['alarms'] & Partial<AlarmDetails>;
  if (typeof withTimes.details === 'function') return { details: (names) => withTimes.details!(names) };
  return {
    details: async (names) =>
      Object.fromEntries(Object.entries(await alarms.states(names)).map(([n, state]) => [n, { state }])),
  };
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
    alarmDetails: alarmDetailsFrom(o.ports.alarms),
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
