import { describe, expect, it } from 'vitest';
import { dnsRtoBasis } from '#lib/dns-modes.ts';
import { loadTopology } from '#lib/topology.ts';
import {
  detectionFromDeploy,
  exampleProfile,
  INGESTION_SECONDS,
  INVOKE_SECONDS,
  type ProjectionMeasurements,
  projectProfile,
  vendorDemoProfile,
} from '../../bench/projection.ts';
import { loadDeployConfig } from '../../infra/aws/lib/deploy-config.ts';

const vendor = loadTopology('infra/topology.failover-alias.example.json');
const example = loadTopology('infra/topology.example.json');
const deploy = loadDeployConfig('infra/aws/deploy.example.json');
const measured = (coldImportMs: number): ProjectionMeasurements => ({
  lockMs: 0.2,
  coldImportMs,
  detection: detectionFromDeploy(deploy, 'deploy.example.json'),
});
const phase = (p: ReturnType<typeof projectProfile>, name: string) =>
  p.phases.find((x) => x.phase.startsWith(name))!.seconds;

describe('Projected AWS RTO', () => {
  it('takes detection from the relay alarm the CDK app deploys: 2 of 3 datapoints of 10 s (PutMetricAlarm Period) plus ingestion', () => {
    // prepare
    const d = detectionFromDeploy(deploy, 'deploy.example.json');
    // act
    const p = projectProfile(vendorDemoProfile(vendor, 'arc-routing-control', 20), measured(150));
    // assess
    expect(d).toMatchObject({ periodSeconds: 10, datapointsToAlarm: 2, evaluationPeriods: 3 });
    expect(phase(p, 'detection')).toBe(2 * 10 + INGESTION_SECONDS);
  });

  it("uses each DNS mode's own basis: health-check interval x threshold + the ELB alias's fixed 60 s TTL, or INSYNC + TTL", () => {
    // prepare
    const arc = vendorDemoProfile(vendor, 'arc-routing-control', 20);
    const metric = vendorDemoProfile(vendor, 'health-check-metric', 20);
    const record = exampleProfile(example, 20);
    // act
    const [a, m, r] = [arc, metric, record].map((x) => projectProfile(x, measured(150)));
    // assess: the very numbers dnsRtoBasis gives, and what they are made of
    expect(a!.dns).toEqual(dnsRtoBasis(vendor, 'arc-routing-control'));
    expect(phase(a!, 'DNS')).toBe(10 * 1 + 60);
    expect(phase(m!, 'DNS')).toBe(60 * 1 + 60);
    expect(r!.dnsMode).toBe('route53-record');
    expect(phase(r!, 'DNS')).toBe(60 + example.dns.ttl);
    expect(a!.phases.find((x) => x.phase.startsWith('DNS'))!.basis).toMatch(
      /^health-check interval x failure threshold \+ TTL: .*fixed 60 s TTL \(Route 53 FAQ, DNS failover\)/,
    );
  });

  it('projects the vendor demo with ARC routing controls at or under 120 s overlapped, and the strict order longer', () => {
    // prepare: verification waits its three probes (two intervals) and three timeouts
    const v = vendor.verification;
    const verification =
      (v.probeAttempts - 1) * v.probeIntervalSeconds + (v.probeAttempts * v.probeTimeoutMs) / 1000;
    // act
    const p = projectProfile(vendorDemoProfile(vendor, 'arc-routing-control', 20), measured(150));
    // assess: detection + verification + 4 cold Lambdas + the longer branch (DNS 70 s + 2 s reconnection)
    const lambdas = Math.round(4 * (0.15 + INVOKE_SECONDS) * 10) / 10;
    expect(p.overlappedSeconds).toBeCloseTo(25 + verification + lambdas + (70 + 2), 5);
    expect(p.overlappedSeconds).toBeLessThanOrEqual(120);
    expect(p.sequentialSeconds).toBeGreaterThan(p.overlappedSeconds);
    expect(p.ratio).toBeCloseTo(p.overlappedSeconds / p.sequentialSeconds, 2);
    expect(phase(p, 'lock switch')).toBe(0);
  });
});
