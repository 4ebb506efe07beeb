import { describe, expect, it } from 'vitest';
import { attemptName } from '#functions/trigger/handler.ts';
import { decide, idStem } from '#functions/trigger/trigger.ts';
import { IncidentId } from '#lib/state.ts';
import { loadTopology, parseTopology } from '#lib/topology.ts';

const alarm = (name: string, at: string) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: at,
  region: 'us-east-1',
  resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`],
  detail: {
    alarmName: name,
    state: { value: 'ALARM', reason: 'x', timestamp: at },
    previousState: { value: 'OK', reason: 'x', timestamp: at },
    configuration: {},
  },
});

describe('execution names of long server ids', () => {
  it('hashes, never slices, an id too long for the incident id: long ids sharing a prefix stay distinct and the time bucket stays whole', () => {
    const a = `${'a'.repeat(60)}-one`;
    const b = `${'a'.repeat(60)}-two`;
    expect(idStem(a)).not.toBe(idStem(b));
    expect(idStem(a).length).toBeLessThanOrEqual(45);
    expect(idStem('mgmt-east')).toBe('mgmt-east');
  });

  it('gives the longest allowed server ids (40) whole incident ids and execution names, distinct per 30-minute window, with room for -rN', () => {
    // prepare: the example topology with two 40-character ids sharing 39 characters
    const doc = JSON.parse(JSON.stringify(loadTopology('infra/topology.example.json')));
    const ids = [`${'x'.repeat(39)}e`, `${'x'.repeat(39)}w`];
    const old = doc.servers.map((s: { id: string }) => s.id);
    const text = JSON.stringify(doc)
      .replaceAll(`"${old[0]}"`, `"${ids[0]}"`)
      .replaceAll(`"${old[1]}"`, `"${ids[1]}"`);
    const t = parseTopology(JSON.parse(text));
    const alarmName = t.servers[0]!.alarmNames[0]!;
    // act
    const first = decide(alarm(alarmName, '2026-01-01T10:05:00Z'), t);
    const later = decide(alarm(alarmName, '2026-01-01T10:35:00Z'), t);
    // assess
    if (!first.start || !later.start) throw new Error('expected runs to start');
    expect(IncidentId.safeParse(first.input.incidentId).success).toBe(true);
    expect(first.executionName).toMatch(/-down-20260101T1000$/);
    expect(later.executionName).toMatch(/-down-20260101T1030$/);
    expect(first.executionName).not.toBe(later.executionName);
    expect(attemptName(first.executionName, 5)).toBe(`${first.executionName}-r5`);
    expect(attemptName(first.executionName, 5).length).toBeLessThanOrEqual(80);
  });
});
