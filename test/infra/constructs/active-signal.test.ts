/**
 * The active-server signal's grants: SSM `GetParameter`/`PutParameter` on the one named parameter
 * in each region of the topology (parameter ARNs: `arn:<partition>:ssm:<region>:<account>:parameter/<name>`
 * for names that start with "/", AWS Systems Manager "Working with parameter hierarchies" / IAM
 * resource types of Systems Manager), the webhook key secret, and no wildcard.
 */
import { describe, expect, it } from 'vitest';
import { buildTestApp, nagFindings } from '../support.ts';
import { templateOf } from './support.ts';

describe('active-server signal grants', () => {
  it('lets the report function read and write only the named parameter, in both regions; cdk-nag stays clean', () => {
    // prepare + act
    const { app, stacks } = buildTestApp();
    // assess
    for (const stack of stacks) {
      const t = templateOf(stack);
      const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
            .Properties.PolicyDocument.Statement,
      );
      const ssm = statements.filter((s) =>
        JSON.stringify(s.Resource).includes('/gloo-failover/gloo-mgmt/active-server'),
      );
      expect(ssm).toHaveLength(1);
      expect(ssm[0]!.Action).toEqual(['ssm:GetParameter', 'ssm:PutParameter']);
      const resources = JSON.stringify(ssm[0]!.Resource);
      expect(resources).toContain(':ssm:us-east-1:');
      expect(resources).toContain(':ssm:us-west-2:');
      expect(resources).toContain(':parameter/gloo-failover/gloo-mgmt/active-server');
      expect(resources).not.toContain('*');
      const aps = statements.filter((s) => JSON.stringify(s.Action).includes('aps:QueryMetrics'));
      expect(JSON.stringify(aps)).toContain(':aps:us-west-2:');
      expect(JSON.stringify(aps)).toContain(':workspace/ws-0123abcd-4567-89ef-0123-456789abcdef');
    }
    expect(nagFindings(app)).toEqual([]);
  });
});
