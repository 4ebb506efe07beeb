/**
 * The workflow per configuration mode (Gloo docs, "CI/CD pipeline configuration": write to all
 * management clusters has no lock switch; write to one switches the lock with meshctl and then
 * the CI/CD pipeline).
 */
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '#lib/topology.ts';
import { LOCAL_FUNCTIONS } from '#local/runner.ts';
import { workflowFor } from '#workflows/from-topology.ts';

const all = loadTopology('infra/topology.example.json');
const one = loadTopology('infra/topology.write-to-one.example.json');
const valid = (def: unknown) =>
  aslValidator(structuredClone(def), { checkPaths: true, checkArn: false }).isValid;

describe('workflow per configuration mode', () => {
  it('has no lock state at all in write-to-all: the promotion goes straight on to what follows the lock', () => {
    // act
    const def = workflowFor(all, { direction: 'failover', targetServer: 'mgmt-west' }, LOCAL_FUNCTIONS);
    const back = workflowFor(all, { direction: 'failback', targetServer: 'mgmt-east' }, LOCAL_FUNCTIONS);
    // assess: no state, no function named; overlapped failover: promotion -> reconnection; strict failback: promotion -> DNS
    for (const d of [def, back]) {
      expect(valid(d)).toBe(true);
      expect(Object.keys(d.States)).not.toContain('SwitchGlobalLock');
      expect(JSON.stringify(d)).not.toContain(LOCAL_FUNCTIONS.switchLock);
    }
    const next = (d: typeof def) =>
      (d.States.CheckRedisPromotion as { Choices: { Next: string }[] }).Choices.slice(0, 3).map(
        (c) => c.Next,
      );
    expect(next(def)).toEqual(['CheckDryRun', 'CheckDryRun', 'CheckDryRun']);
    expect(next(back)).toEqual(['RepointDns', 'RepointDns', 'RepointDns']);
  });

  it('switches the lock right after the promotion in write-to-one, with the meshctl timeout plus a margin', () => {
    const def = workflowFor(one, { direction: 'failover', targetServer: 'mgmt-west' }, LOCAL_FUNCTIONS);
    expect(valid(def)).toBe(true);
    expect((def.States.CheckRedisPromotion as { Choices: { Next: string }[] }).Choices[0]!.Next).toBe(
      'SwitchGlobalLock',
    );
    const lock = def.States.SwitchGlobalLock as {
      Next: string;
      TimeoutSeconds: number;
      Catch: { Next: string }[];
    };
    expect(lock.Next).toBe('CheckDryRun');
    expect(lock.TimeoutSeconds).toBe(60 + 30);
    expect(lock.Catch.map((c) => c.Next)).toEqual(['SetOutcomeHaltedAfterPromotion']);
  });

  it("names the CI/CD switch as the operator's action in write-to-one's approval message, and not in write-to-all's", () => {
    const gate = (t: typeof all) =>
      (
        workflowFor(t, { direction: 'failover', targetServer: 'mgmt-west' }, LOCAL_FUNCTIONS).States
          .ApproveSwitch as { Parameters: { Payload: { changes: string[] } } }
      ).Parameters.Payload.changes.join(' ');
    expect(gate(one)).toMatch(
      /move the global lock to mgmt-west.*YOU switch the CI\/CD pipeline to mgmt-west/,
    );
    expect(gate(all)).toMatch(/no lock to move, no CI\/CD change/);
    expect(gate(all)).not.toMatch(/global lock/);
  });
});
