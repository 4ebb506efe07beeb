import { describe, expect, it } from 'vitest';
import { Dashboard } from '../../../infra/aws/lib/constructs/dashboard.ts';
import { Notifications } from '../../../infra/aws/lib/constructs/notifications.ts';
import { Probe } from '../../../infra/aws/lib/constructs/probe.ts';
import { stepFunction } from '../../../infra/aws/lib/constructs/step-function.ts';
import { deploy, functionDefaults, only, TestStack, templateOf, topologyWith } from './support.ts';

describe('dashboard', () => {
  it("graphs both servers' relay and agents, and the steps this region deploys (not the probe)", () => {
    // prepare
    const stack = new TestStack();
    const topology = topologyWith();
    const [east, west] = topology.servers as [(typeof topology.servers)[0], (typeof topology.servers)[0]];
    const notifications = new Notifications(stack, 'Notifications', { topology, region: 'us-west-2' });
    const probe = new Probe(stack, 'Probe', {
      topology,
      own: west,
      peer: east,
      deploy,
      notifications,
      functions: functionDefaults(),
    });
    const functions = {
      preflight: stepFunction(stack, 'preflight', functionDefaults(), {}),
      healthProbe: probe.function,
    };
    // act
    new Dashboard(stack, 'Dashboard', { topology, probe, stateMachines: [], functions });
    // assess
    const d = only(templateOf(stack), 'AWS::CloudWatch::Dashboard');
    expect(d.Properties.DashboardName).toBe('gloo-mgmt-failover-us-west-2');
    // The body is a Fn::Join of JSON text and references (function names, region): references become REF.
    const parts = d.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const body = JSON.parse(parts.map((x) => (typeof x === 'string' ? x : 'REF')).join(''));
    const widgets = body.widgets as { properties: { title: string; metrics: unknown[][] } }[];
    const byTitle = Object.fromEntries(widgets.map((w) => [w.properties.title, w.properties.metrics]));
    expect(Object.keys(byTitle)).toEqual([
      'Relay reachable from us-west-2 (1 = yes)',
      'Agents connected (seen from us-west-2)',
      'Runs',
      'Run duration (ms)',
      'Step durations (max, ms)',
      'Step errors',
    ]);
    expect(byTitle['Relay reachable from us-west-2 (1 = yes)']).toHaveLength(2);
    expect(byTitle['Step errors']!.map((m) => JSON.stringify(m))).toEqual([
      expect.stringContaining('"label":"preflight"'),
    ]);
  });
});
