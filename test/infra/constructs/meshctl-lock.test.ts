/**
 * The lock step per configuration mode, as deployed. write-to-one with the meshctl adapter: a
 * Lambda container image (CDK DockerImageFunction; the image is built at deploy, so synth stays
 * offline) and an EKS access entry for its role (AWS::EKS::AccessEntry: type STANDARD, access
 * policy associated with a namespace scope; EKS "Grant IAM users access to Kubernetes with EKS
 * access entries" / "Associate access policies with access entries"). write-to-all: no lock
 * function at all.
 */
import { describe, expect, it } from 'vitest';
import { buildTestApp, nagFindings, synthTestApp } from '../support.ts';
import { resources } from './support.ts';

const ONE = 'infra/topology.write-to-one.example.json';

describe('lock function per configuration mode', { timeout: 180_000 }, () => {
  it('deploys the meshctl lock as a container image with the pinned version, and an EKS access entry for its role', () => {
    // act
    const { templates } = synthTestApp({ topology: ONE });
    const west = templates.get('gloo-mgmt-mgmt-west')!;
    // assess: one image function, the rest zip
    const fns = resources(west, 'AWS::Lambda::Function');
    const images = fns.filter(([, f]) => f.Properties.PackageType === 'Image');
    expect(images.map(([id]) => id)).toEqual([expect.stringMatching(/^MeshctlLockFunction/)]);
    const [, lockFn] = images[0]!;
    expect(lockFn.Properties.Architectures).toEqual(['arm64']);
    expect(lockFn.Properties.Timeout).toBe(60 + 15);
    expect(lockFn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fns.filter(([id]) => id.startsWith('SwitchLockFunction'))).toEqual([]);
    // the access entry: this region's cluster, the function's role, namespace-scoped policy
    const entries = resources(west, 'AWS::EKS::AccessEntry');
    expect(entries).toHaveLength(1);
    const entry = entries[0]![1].Properties;
    expect(entry.ClusterName).toBe('gloo-mgmt-west');
    expect(entry.Type).toBe('STANDARD');
    expect(entry.PrincipalArn).toEqual({ 'Fn::GetAtt': [lockFn.Properties.Role['Fn::GetAtt'][0], 'Arn'] });
    expect(entry.AccessPolicies).toEqual([
      {
        PolicyArn: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSEditPolicy'],
          ],
        },
        AccessScope: { Type: 'namespace', Namespaces: ['gloo-mesh'] },
      },
    ]);
    // the workflow invokes the image function for its lock step
    const sm = resources(west, 'AWS::StepFunctions::StateMachine').find(([, r]) =>
      String(r.Properties.StateMachineName).includes('-failover-to-'),
    )![1];
    expect(Object.keys(sm.Properties.DefinitionSubstitutions)).toContain('switchLock');
    expect(sm.Properties.DefinitionSubstitutions.switchLock['Fn::GetAtt'][0]).toBe(images[0]![0]);
  });

  it('stays cdk-nag clean with the meshctl lock function', () => {
    const { app } = buildTestApp({ topology: ONE });
    expect(nagFindings(app)).toEqual([]);
  });

  it('deploys no lock function at all in write-to-all mode', () => {
    const { templates } = synthTestApp();
    for (const t of templates.values()) {
      const ids = resources(t, 'AWS::Lambda::Function').map(([id]) => id);
      expect(ids.filter((id) => /SwitchLock|MeshctlLock/.test(id))).toEqual([]);
      expect(resources(t, 'AWS::EKS::AccessEntry')).toEqual([]);
      for (const [, sm] of resources(t, 'AWS::StepFunctions::StateMachine'))
        expect(Object.keys(sm.Properties.DefinitionSubstitutions ?? {})).not.toContain('switchLock');
    }
  });
});
