import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { Concern, uniqueId } from '../../../infra/aws/lib/constructs/concern.ts';
import { TestStack } from './support.ts';

/** A CloudFormation resource at `path` below `root` (intermediate constructs created as needed). */
function resourceAt(root: Construct, path: string[]): CfnResource {
  let scope = root;
  for (const id of path.slice(0, -1))
    scope = (scope.node.tryFindChild(id) as Construct) ?? new Construct(scope, id);
  return new CfnResource(scope, path[path.length - 1]!, { type: 'Test::Thing' });
}

describe('concerns', () => {
  it("computes CDK's own logical ids for paths without a concern", () => {
    // prepare
    const stack = new Stack(new App(), 'plain');
    const paths = [
      ['Topic'],
      ['Notifications', 'Resource'],
      ['Trigger', 'Trigger', 'Function', 'Resource'],
      ['Fn', 'Default', 'Resource'],
      ['Probe', 'ServiceRole', 'DefaultPolicy', 'Resource'],
      ['x'.repeat(250), 'y'.repeat(20)],
      ['with-dashes', 'and.dots'],
    ];
    // act
    const pairs = paths.map((p) => [stack.getLogicalId(resourceAt(stack, p)), uniqueId(p)]);
    // assess
    for (const [cdk, ours] of pairs) expect(ours).toBe(cdk);
  });

  it('gives a resource inside a concern the logical id it has directly in the stack', () => {
    // prepare
    const plain = new Stack(new App(), 'plain');
    const split = new TestStack();
    const outer = new Concern(split, 'Probe');
    const inner = new Concern(outer, 'Nested');
    // act
    const before = plain.getLogicalId(resourceAt(plain, ['Clusters', 'Resource']));
    const after = split.getLogicalId(resourceAt(inner, ['Clusters', 'Resource']));
    const top = split.getLogicalId(resourceAt(outer, ['Output']));
    // assess
    expect(after).toBe(before);
    expect(top).toBe('Output');
    expect(Concern.isConcern(outer)).toBe(true);
    expect(Concern.isConcern(plain)).toBe(false);
  });

  it('refuses two resources that would share a logical id once the concerns are left out', () => {
    // prepare
    const stack = new TestStack();
    resourceAt(new Concern(stack, 'A'), ['Table', 'Resource']);
    resourceAt(new Concern(stack, 'B'), ['Table', 'Resource']);
    // act + assess
    expect(() => App.of(stack)!.synth()).toThrow(/Table/);
  });
});
