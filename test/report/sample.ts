/** A run report as the report step writes it (a failover with an approval), for page and publishing tests. */
import type { RunReport } from '#functions/report/report.ts';

const at = (ms: number) => new Date(Date.parse('2026-11-29T03:00:00.000Z') + ms).toISOString();

/** A complete FailedOver report; `over` replaces fields. */
export function sampleReport(over: Partial<RunReport> = {}): RunReport {
  const step = (
    step: string,
    phase: RunReport['steps'][number]['phase'],
    states: string[],
    from: number,
    to: number,
    result: string,
  ) => ({
    step,
    phase,
    states,
    startedAt: at(from),
    endedAt: at(to),
    durationMs: to - from,
    result,
  });
  return {
    outcome: 'FailedOver',
    summary: 'failover mgmt-east (us-east-1) -> mgmt-west (us-west-2) complete',
    direction: 'failover',
    source: { server: 'mgmt-east', region: 'us-east-1' },
    target: { server: 'mgmt-west', region: 'us-west-2' },
    incidentId: 'INC-1234',
    trigger: 'alarm',
    requestedBy: 'gloo-mgmt-east-relay-down',
    executionId:
      'arn:aws:states:us-west-2:123456789012:execution:gloo-mgmt-failover-to-mgmt-west:mgmt-east-down-20261129T0300',
    startedAt: at(0),
    dryRun: false,
    warnings: [],
    steps: [
      step('preflight', 'preflight', ['RunPreflight'], 50, 350, 'plan recorded'),
      step(
        'verify-outage',
        'verification',
        ['VerifySourceOutage'],
        400,
        20_400,
        '3 of 4 signals say down (quorum 2)',
      ),
      step('approval', 'approval', ['ApproveSwitch'], 20_400, 95_000, 'approved by Jane Doe (U0JANE)'),
      step(
        'promote-redis',
        'promotion',
        ['StartRedisPromotion', 'PollRedisPromotion'],
        95_100,
        160_000,
        'complete (planned)',
      ),
      step(
        'switch-lock',
        'lock',
        ['SwitchGlobalLock'],
        160_100,
        160_300,
        'switched: mgmt-east@4 -> mgmt-west@5',
      ),
      step('repoint-dns', 'DNS', ['RepointDns', 'RecordDnsChangeStatus'], 160_400, 205_000, 'changed INSYNC'),
      step(
        'confirm-reconnect',
        'reconnection',
        ['ConfirmAgentsReconnected'],
        205_100,
        221_000,
        '40/40 connected',
      ),
      step('report', 'report', ['WriteReport'], 221_100, 221_500, 'report written'),
    ],
    changed: [{ what: 'global lock', before: 'mgmt-east (epoch 4)', after: 'mgmt-west (epoch 5)' }],
    nextActions: ['Point the CI/CD pipeline that applies Gloo configuration at mgmt-west.'],
    verification: {
      want: 'down',
      confirmed: true,
      skipped: false,
      votes: 3,
      quorum: 2,
      signals: [
        { kind: 'relay', verdict: 'down', detail: '10.0.1.5:9900: 3/3 failed' },
        { kind: 'alarm', verdict: 'down', detail: 'gloo-mgmt-east-relay-down=ALARM' },
      ],
      evidence: ['relay: down', 'alarm: down'],
    },
    approvals: [
      { decision: 'approved', by: 'Jane Doe (U0JANE)', at: at(95_000), detail: 'approved in Slack' },
    ],
    before: {
      lockHolder: 'mgmt-east',
      lockEpoch: 4,
      redisPrimary: 'us-east-1',
      dnsValues: ['10.0.1.5'],
      dnsPointsTo: 'mgmt-east',
      agents: { server: 'mgmt-east', count: 40, source: 'last-seen' },
    },
    after: {
      lockHolder: 'mgmt-west',
      lockEpoch: 5,
      redisPrimary: 'us-west-2',
      dnsValues: ['10.1.1.5'],
      dnsPointsTo: 'mgmt-west',
      agents: { server: 'mgmt-west', count: 40, of: 40, source: 'connected and warmed' },
      readErrors: [],
    },
    reportedAt: at(221_500),
    ...over,
  };
}
