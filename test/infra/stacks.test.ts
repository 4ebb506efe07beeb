import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopology } from '#lib/topology.ts';
import { workflowFor } from '#workflows/from-topology.ts';
import { placeholder } from '../../infra/aws/lib/names.ts';
import { PLACEHOLDER_FUNCTIONS, stateMachineName } from '../../infra/aws/lib/regional-stack.ts';
import { matchesEventPattern } from './event-pattern.ts';
import { type SynthedApp, synthTestApp } from './support.ts';

const topology = loadTopology('infra/topology.example.json');
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/cloudwatch-alarm-state-change.json', import.meta.url), 'utf8'),
);

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Cfn = any;

let synthed: SynthedApp;
let east: Template;
let west: Template;
beforeAll(() => {
  synthed = synthTestApp();
  east = synthed.templates.get('gloo-mgmt-mgmt-east')!;
  west = synthed.templates.get('gloo-mgmt-mgmt-west')!;
}, 60_000);

const resources = (t: Template, type: string): [string, Cfn][] =>
  Object.entries(t.findResources(type)) as [string, Cfn][];
const logicalIdOf = (t: Template, type: string, prefix: string) => {
  const id = Object.keys(t.findResources(type)).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no ${type} starting with ${prefix}`);
  return id;
};

/** Resolves the Fn::Join/Ref/GetAtt of a template value to a readable string. */
function render(v: Cfn): string {
  if (typeof v === 'string') return v;
  if (v?.Ref) return `<${v.Ref}>`;
  if (v?.['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v?.['Fn::Join']) return v['Fn::Join'][1].map(render).join(v['Fn::Join'][0]);
  return JSON.stringify(v);
}

/** Every statement of every identity policy of a template, with resources rendered. */
function statements(t: Template) {
  return resources(t, 'AWS::IAM::Policy').flatMap(([id, p]) =>
    (p.Properties.PolicyDocument.Statement as Cfn[]).map((s) => ({
      policy: id,
      actions: [s.Action].flat() as string[],
      resources: [s.Resource].flat().map(render),
      condition: s.Condition,
    })),
  );
}

describe('regional stacks', () => {
  it('keeps the logical id of every deployed resource (CloudFormation replaces a renamed resource: a new, empty table)', () => {
    // logical-ids.json: the ids of the single-constructor stack, from before the split into
    // concerns, but for the two EventBridge invoke permissions whose ids CDK derives from the
    // construct path (AllowEventRule<path of the function>): replaced without a gap, new before old.
    const expected = JSON.parse(readFileSync(new URL('./logical-ids.json', import.meta.url), 'utf8'));
    const actual = Object.fromEntries(
      [...synthed.templates].map(([name, t]) => [
        name,
        Object.fromEntries(
          Object.entries(t.toJSON().Resources as Record<string, Cfn>)
            .filter(([, r]) => r.Type !== 'AWS::CDK::Metadata')
            .map(([id, r]) => [id, r.Type])
            .sort(([a], [b]) => (a < b ? -1 : 1)),
        ),
      ]),
    );
    // Every deployed id is kept with its type; the only additions are the reprotect concern's.
    for (const [stack, ids] of Object.entries(expected as Record<string, Record<string, string>>))
      expect(Object.fromEntries(Object.entries(actual[stack]!).filter(([id]) => id in ids)), stack).toEqual(
        ids,
      );
    for (const [stack, ids] of Object.entries(actual))
      expect(
        Object.keys(ids).filter((id) => !(id in expected[stack])),
        stack,
      ).toEqual(expect.arrayContaining([]));
    for (const [stack, ids] of Object.entries(actual))
      for (const id of Object.keys(ids).filter((i) => !(i in expected[stack])))
        expect(id, `${stack}: a new resource outside the reprotect concern`).toMatch(/^Reprotect/);
  });

  it('deploys one stack per region that can become active, the failback only in the home region', () => {
    expect([...synthed.templates.keys()].sort()).toEqual(['gloo-mgmt-mgmt-east', 'gloo-mgmt-mgmt-west']);
    expect(synthed.stacks.map((s) => s.region).sort()).toEqual(['us-east-1', 'us-west-2']);
    const names = (t: Template) =>
      resources(t, 'AWS::StepFunctions::StateMachine')
        .map(([, r]) => r.Properties.StateMachineName)
        .sort();
    // The third state machine: re-protection of the Redis datastore, in every region (run where active).
    expect(names(east)).toEqual([
      'gloo-mgmt-failback-to-mgmt-east',
      'gloo-mgmt-failover-to-mgmt-east',
      'gloo-mgmt-reprotect-from-mgmt-east',
    ]);
    expect(names(west)).toEqual(['gloo-mgmt-failover-to-mgmt-west', 'gloo-mgmt-reprotect-from-mgmt-west']);
    // the example topology is write-to-all: no lock function
    east.resourceCountIs('AWS::Lambda::Function', 13);
    west.resourceCountIs('AWS::Lambda::Function', 12); // no verify-recovered: failback lives in the home region
    for (const t of [east, west]) {
      t.resourceCountIs('AWS::DynamoDB::Table', 2);
      t.resourceCountIs('AWS::SNS::Topic', 1);
      t.resourceCountIs('AWS::Lambda::Url', 1);
      t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      t.resourceCountIs('AWS::Events::Rule', 3); // trigger, probe, readiness
      t.resourceCountIs('AWS::SecretsManager::Secret', 0); // referenced by name, never created
    }
  });

  it('builds every function for nodejs24.x on arm64 with tracing, sizing and its own log group with retention', () => {
    for (const t of [east, west]) {
      const logGroups = t.findResources('AWS::Logs::LogGroup');
      for (const [id, fn] of resources(t, 'AWS::Lambda::Function')) {
        const p = fn.Properties;
        expect(p.Runtime, id).toBe('nodejs24.x');
        expect(p.Architectures, id).toEqual(['arm64']);
        expect(p.Handler, id).toBe('index.handler');
        expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
        expect(p.MemorySize, id).toBeGreaterThanOrEqual(256);
        expect(p.Timeout, id).toBeGreaterThan(3);
        const group = p.LoggingConfig.LogGroup.Ref as string;
        expect(logGroups[group]?.Properties.RetentionInDays, id).toBe(30);
        const env = p.Environment.Variables;
        expect(JSON.parse(env.TOPOLOGY_JSON), id).toEqual(
          JSON.parse(readFileSync('infra/topology.example.json', 'utf8')),
        );
      }
    }
  });

  it('defines each state machine as the workflows/ ASL with the Lambda ARNs substituted', () => {
    const cases = [
      { t: east, direction: 'failover', target: 'mgmt-east' },
      { t: east, direction: 'failback', target: 'mgmt-east' },
      { t: west, direction: 'failover', target: 'mgmt-west' },
    ] as const;
    for (const { t, direction, target } of cases) {
      const route = { direction, targetServer: target };
      const [id, sm] = resources(t, 'AWS::StepFunctions::StateMachine').find(
        ([, r]) => r.Properties.StateMachineName === stateMachineName(topology, route),
      )!;
      const p = sm.Properties;
      expect(JSON.parse(p.DefinitionString), id).toEqual(
        workflowFor(topology, route, PLACEHOLDER_FUNCTIONS, { partition: placeholder('partition') }),
      );
      // the partition of service-integration ARNs is the stack's (never a literal arn:aws:)
      const { partition, ...functionArns } = p.DefinitionSubstitutions as Record<string, Cfn>;
      expect(partition, id).toEqual({ Ref: 'AWS::Partition' });
      const verify = direction === 'failover' ? 'VerifyOutage' : 'VerifyRecovered';
      const expected = [
        'Preflight',
        verify,
        'PromoteRedis',
        // the example topology is write-to-all: no lock step, no lock function
        'RepointDns',
        'ConfirmReconnect',
        'Report',
        'RequestApproval',
      ];
      const subs = Object.fromEntries(Object.entries(functionArns).map(([k, v]) => [k, v['Fn::GetAtt'][0]]));
      expect(Object.keys(subs).sort(), id).toEqual(
        expected.map((e) => e[0]!.toLowerCase() + e.slice(1)).sort(),
      );
      for (const [k, logical] of Object.entries(subs))
        expect(logical, k).toBe(
          logicalIdOf(t, 'AWS::Lambda::Function', `${k[0]!.toUpperCase()}${k.slice(1)}Function`),
        );
      expect(p.StateMachineType).toBe('STANDARD');
      expect(p.TracingConfiguration).toEqual({ Enabled: true });
      expect(p.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
      // Every placeholder of the definition is substituted.
      const placeholders = [...new Set((p.DefinitionString as string).match(/\$\{[a-zA-Z]+\}/g))];
      expect(placeholders.map((x) => x.slice(2, -1)).sort()).toEqual(
        [...Object.keys(subs), 'partition'].sort(),
      );
      // With the substitutions applied, it is the workflow built with those very ARNs.
      const arns = Object.fromEntries(Object.entries(functionArns).map(([k, v]) => [k, render(v)]));
      const all: Record<string, string> = { ...arns, partition: 'aws' };
      const substituted = (p.DefinitionString as string).replace(
        /\$\{([a-zA-Z]+)\}/g,
        (_, k: string) => all[k]!,
      );
      expect(JSON.parse(substituted)).toEqual(
        workflowFor(topology, route, { ...PLACEHOLDER_FUNCTIONS, ...arns } as typeof PLACEHOLDER_FUNCTIONS),
      );
    }
  });

  it('grants each state machine invoke on exactly the functions its definition names', () => {
    for (const t of [east, west])
      for (const [id, sm] of resources(t, 'AWS::StepFunctions::StateMachine')) {
        const role = sm.Properties.RoleArn['Fn::GetAtt'][0];
        const invoke = statements(t).filter(
          (s) =>
            s.actions.includes('lambda:InvokeFunction') &&
            s.policy.startsWith(role.replace(/[0-9A-F]{8}$/, '')),
        );
        const granted = invoke.flatMap((s) => s.resources).sort();
        const named = Object.entries(sm.Properties.DefinitionSubstitutions as Record<string, Cfn>)
          .filter(([k]) => k !== 'partition') // the ARN partition of the callback integration, not a function
          .map(([, v]) => render(v))
          .sort();
        expect(granted, id).toEqual(named);
      }
  });

  it('builds the state machine ARNs handed to preflight and the trigger from the machines names (no cycle)', () => {
    for (const [t, region] of [
      [east, 'us-east-1'],
      [west, 'us-west-2'],
    ] as const) {
      const machines = resources(t, 'AWS::StepFunctions::StateMachine').map(
        ([, r]) => r.Properties.StateMachineName,
      );
      const fn = (prefix: string) =>
        t.findResources('AWS::Lambda::Function')[logicalIdOf(t, 'AWS::Lambda::Function', prefix)]!.Properties
          .Environment.Variables;
      const arns = render(fn('PreflightFunction').STATE_MACHINE_ARNS).split(',').sort();
      expect(arns).toEqual(
        machines
          .map((n: string) => `arn:<AWS::Partition>:states:${region}:<AWS::AccountId>:stateMachine:${n}`)
          .sort(),
      );
      const trigger = fn('TriggerFunction');
      expect(render(trigger.FAILOVER_STATE_MACHINE_ARN)).toMatch(/:stateMachine:gloo-mgmt-failover-to-/);
      expect(trigger.TARGET_SERVER).toBe(region === 'us-east-1' ? 'mgmt-east' : 'mgmt-west');
    }
  });

  it('scopes IAM to named resources: no "*" resource on any mutating action', () => {
    // Actions AWS documents as not supporting resource-level permissions (read-only or telemetry).
    const starAllowed = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
      'cloudwatch:PutMetricData',
      // Read-only; composite alarms are returned only when scoped to * (DescribeAlarms API reference).
      'cloudwatch:DescribeAlarms',
      // Read-only, no resource-level permissions: the Route 53 health checks' AWS/Route53 metrics.
      'cloudwatch:GetMetricData',
    ]);
    for (const t of [east, west])
      for (const s of statements(t)) {
        const star = s.resources.some((r) => r === '*');
        if (!star) continue;
        expect(
          s.actions.filter((a) => !starAllowed.has(a)),
          `${s.policy}: ${s.actions}`,
        ).toEqual([]);
        if (s.actions.includes('cloudwatch:PutMetricData'))
          expect(s.condition).toEqual({
            StringEquals: {
              'cloudwatch:namespace': s.policy.startsWith('ReadinessRole')
                ? 'GlooFailover/Readiness'
                : 'GlooFailover/Probes',
            },
          });
      }
  });

  it('lets only the named records, zone, datastore, tables and state machines be changed', () => {
    const all = [...statements(east), ...statements(west)];
    const by = (action: string) => all.filter((s) => s.actions.includes(action));
    const dns = by('route53:ChangeResourceRecordSets');
    expect(dns.length).toBe(2); // repoint-dns of each region
    for (const s of dns) {
      expect(s.policy).toMatch(/^RepointDnsRole/);
      expect(s.resources).toEqual(['arn:<AWS::Partition>:route53:::hostedzone/Z0123456789ABCDEFGHIJ']);
      expect(s.condition['ForAllValues:StringEquals']).toEqual({
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['mgmt-server.gloo.example.com'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
        'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
      });
    }
    for (const action of [
      'elasticache:FailoverGlobalReplicationGroup',
      'elasticache:DisassociateGlobalReplicationGroup',
    ])
      for (const s of by(action)) {
        expect(s.policy).toMatch(/^PromoteRedisRole/);
        // the static datastore, or one re-protection created (AWS region prefix + our generation suffix)
        for (const r of s.resources)
          expect([
            'arn:<AWS::Partition>:elasticache::<AWS::AccountId>:globalreplicationgroup:ldgnf-gloo-mgmt',
            'arn:<AWS::Partition>:elasticache:us-east-1:<AWS::AccountId>:replicationgroup:gloo-mgmt-east',
            'arn:<AWS::Partition>:elasticache:us-west-2:<AWS::AccountId>:replicationgroup:gloo-mgmt-west',
            'arn:<AWS::Partition>:elasticache::<AWS::AccountId>:globalreplicationgroup:*gloo-mgmt-g*',
            'arn:<AWS::Partition>:elasticache:us-east-1:<AWS::AccountId>:replicationgroup:gloo-mgmt-east-g*',
            'arn:<AWS::Partition>:elasticache:us-west-2:<AWS::AccountId>:replicationgroup:gloo-mgmt-west-g*',
          ]).toContain(r);
      }
    const resume = by('states:SendTaskSuccess');
    expect(resume.map((s) => s.policy.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'SlackCallbackRoleDefaultPolicy',
      'SlackCallbackRoleDefaultPolicy',
    ]);
    expect(resume.flatMap((s) => s.resources).sort()).toEqual([
      'arn:<AWS::Partition>:states:us-east-1:<AWS::AccountId>:stateMachine:gloo-mgmt-failback-to-mgmt-east',
      'arn:<AWS::Partition>:states:us-east-1:<AWS::AccountId>:stateMachine:gloo-mgmt-failover-to-mgmt-east',
      'arn:<AWS::Partition>:states:us-east-1:<AWS::AccountId>:stateMachine:gloo-mgmt-reprotect-from-mgmt-east',
      'arn:<AWS::Partition>:states:us-west-2:<AWS::AccountId>:stateMachine:gloo-mgmt-failover-to-mgmt-west',
      'arn:<AWS::Partition>:states:us-west-2:<AWS::AccountId>:stateMachine:gloo-mgmt-reprotect-from-mgmt-west',
    ]);
    for (const s of by('states:StartExecution')) {
      expect(s.policy).toMatch(/^TriggerRole/);
      expect(s.resources).toHaveLength(1);
      expect(s.resources[0]).toMatch(/:stateMachine:gloo-mgmt-failover-to-mgmt-(east|west)$/);
    }
    const describeGrants = by('states:DescribeExecution');
    expect(describeGrants.flatMap((s) => s.resources).sort()).toEqual([
      'arn:<AWS::Partition>:states:us-east-1:<AWS::AccountId>:execution:gloo-mgmt-failover-to-mgmt-east:*',
      'arn:<AWS::Partition>:states:us-west-2:<AWS::AccountId>:execution:gloo-mgmt-failover-to-mgmt-west:*',
    ]);
    for (const s of by('secretsmanager:GetSecretValue'))
      expect(s.resources[0]).toMatch(
        /:secret:gloo-failover\/(redis-auth|slack-bot-token|slack-signing-secret|ci-webhook-key|relay-root-ca)-\?{6}$/,
      );
    for (const s of [...by('dynamodb:PutItem'), ...by('dynamodb:UpdateItem')])
      expect(s.resources.every((r) => /^<(Approvals|Clusters)[0-9A-F]{8}\.Arn>$/.test(r))).toBe(true);
    // The only AWS managed policy is Lambda's ENI policy, and only on functions placed in a VPC.
    for (const t of [east, west])
      for (const [id, role] of resources(t, 'AWS::IAM::Role')) {
        const managed = (role.Properties.ManagedPolicyArns ?? []).map(render);
        expect(
          managed.every((m: string) =>
            m.endsWith(':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'),
          ),
          id,
        ).toBe(true);
      }
  });

  it('places the functions that reach Redis and the servers in the configured subnets, the rest outside', () => {
    const inVpc = (t: Template) =>
      resources(t, 'AWS::Lambda::Function')
        .filter(([, f]) => f.Properties.VpcConfig)
        .map(([id]) => id.replace(/Function[0-9A-F]{8}$/, ''))
        .sort();
    expect(inVpc(west)).toEqual([
      'ConfirmReconnect',
      'HealthProbe',
      'Preflight',
      'PromoteRedis',
      'Readiness',
      'RepointDns',
      'Report',
      'Reprotect',
      'VerifyOutage',
    ]);
    const westFn = resources(west, 'AWS::Lambda::Function').find(([id]) =>
      id.startsWith('PreflightFunction'),
    )![1];
    expect(westFn.Properties.VpcConfig).toEqual({
      SubnetIds: ['subnet-0f1e2d3c4b5a60001', 'subnet-0f1e2d3c4b5a60002'],
      SecurityGroupIds: ['sg-0f1e2d3c4b5a69788'],
    });
    // Without security groups in the deploy config, the stack makes one with egress to the topology's ports only.
    east.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0a1b2c3d4e5f60718',
      SecurityGroupEgress: [443, 4317, 6379, 8090, 9091, 9900].map((p) =>
        Match.objectLike({ IpProtocol: 'tcp', FromPort: p, ToPort: p, CidrIp: '0.0.0.0/0' }),
      ),
    });
  });

  it('keeps approvals in a DynamoDB table with TTL on expiresAt and point-in-time recovery', () => {
    for (const t of [east, west]) {
      t.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
      const fn = (prefix: string) =>
        resources(t, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))![1].Properties;
      for (const prefix of ['RequestApprovalFunction', 'SlackCallbackFunction'])
        expect(fn(prefix).Environment.Variables.APPROVALS_TABLE).toEqual({
          Ref: logicalIdOf(t, 'AWS::DynamoDB::Table', 'Approvals'),
        });
      expect(fn('ReportFunction').Environment.Variables.NOTIFY_TOPIC_ARN).toEqual({
        Ref: logicalIdOf(t, 'AWS::SNS::Topic', 'Notifications'),
      });
    }
  });

  it('refuses publishers without TLS on the encrypted notification topic', () => {
    for (const t of [east, west]) {
      t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      t.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('exposes the Slack callback as a Function URL without IAM auth (the Slack signature is checked in code)', () => {
    for (const t of [east, west])
      t.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'NONE',
        TargetFunctionArn: {
          'Fn::GetAtt': [logicalIdOf(t, 'AWS::Lambda::Function', 'SlackCallbackFunction'), 'Arn'],
        },
      });
    for (const t of [east, west])
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
        FunctionName: {
          'Fn::GetAtt': [logicalIdOf(t, 'AWS::Lambda::Function', 'SlackCallbackFunction'), 'Arn'],
        },
      });
  });

  it('starts the trigger on the fixture alarm event and on no other state or alarm', () => {
    const [, rule] = resources(west, 'AWS::Events::Rule').find(([id]) => id.startsWith('AlarmTrigger'))!;
    const pattern = rule.Properties.EventPattern;
    expect(rule.Properties.Targets[0].Arn).toEqual({
      'Fn::GetAtt': [logicalIdOf(west, 'AWS::Lambda::Function', 'TriggerFunction'), 'Arn'],
    });
    expect(matchesEventPattern(pattern, fixture)).toBe(true);
    const variant = (f: (e: Cfn) => void) => {
      const e = structuredClone(fixture);
      f(e);
      return matchesEventPattern(pattern, e);
    };
    expect(variant((e) => (e.detail.state.value = 'OK'))).toBe(false);
    expect(variant((e) => (e.detail.alarmName = 'gloo-mgmt-west-relay-down'))).toBe(false);
    expect(variant((e) => (e.source = 'aws.health'))).toBe(false);
    expect(variant((e) => (e['detail-type'] = 'CloudWatch Alarm Configuration Change'))).toBe(false);
    // The home region's rule watches the other server's alarms.
    const [, eastRule] = resources(east, 'AWS::Events::Rule').find(([id]) => id.startsWith('AlarmTrigger'))!;
    expect(matchesEventPattern(eastRule.Properties.EventPattern, fixture)).toBe(false);
    expect(
      matchesEventPattern(eastRule.Properties.EventPattern, {
        ...fixture,
        detail: { ...fixture.detail, alarmName: 'gloo-mgmt-west-relay-down' },
      }),
    ).toBe(true);
  });

  it('raises the relay alarm the fixture describes: high-resolution probe metric, M of N datapoints', () => {
    west.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'gloo-mgmt-east-relay-down',
      Namespace: 'GlooFailover/Probes',
      MetricName: 'RelayReachable',
      Dimensions: Match.arrayWith([
        { Name: 'ManagementCluster', Value: 'mgmt-east' },
        { Name: 'ProbeRegion', Value: 'us-west-2' },
      ]),
      Period: 10,
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      // deploy.example.json: 2 of 3 (the projected RTO's detection reads the same config)
      DatapointsToAlarm: 2,
      EvaluationPeriods: 3,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalIdOf(west, 'AWS::SNS::Topic', 'Notifications') }],
    });
    const c = fixture.detail.configuration.metrics[0].metricStat;
    expect(c.metric).toEqual({
      namespace: 'GlooFailover/Probes',
      name: 'RelayReachable',
      dimensions: { ManagementCluster: 'mgmt-east', ProbeRegion: 'us-west-2' },
    });
    // Agents: a notification alarm on the sum over both servers, M of N minutes.
    west.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'gloo-mgmt-agents-disconnected-us-west-2',
      DatapointsToAlarm: 3,
      EvaluationPeriods: 5,
      Threshold: 1,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(a0, 0) + FILL(a1, 0)' })]),
    });
  });

  it('probes both servers every minute, six samples 10 s apart, recording into the clusters table', () => {
    const [, fn] = resources(west, 'AWS::Lambda::Function').find(([id]) =>
      id.startsWith('HealthProbeFunction'),
    )!;
    expect(fn.Properties.Environment.Variables).toMatchObject({
      PROBE_CLUSTERS: 'mgmt-east,mgmt-west',
      PROBE_SAMPLES: '6',
      PROBE_INTERVAL_SECONDS: '10',
      CLUSTER_TABLE_NAME: { Ref: logicalIdOf(west, 'AWS::DynamoDB::Table', 'Clusters') },
    });
    expect(fn.Properties.Timeout).toBeGreaterThan(60);
    west.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    west.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      DestinationConfig: {
        OnFailure: { Destination: { Ref: logicalIdOf(west, 'AWS::SNS::Topic', 'Notifications') } },
      },
    });
  });
});
