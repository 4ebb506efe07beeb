/**
 * The deployment config: what the topology does not say about an AWS account. Network placement
 * per region (the topology has no VPC fields), alarm tuning, log retention. Read from a JSON file
 * (`-c deploy=path`, default infra/aws/deploy.example.json); every field is validated and a bad file
 * fails the synth with the field named.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { AWS_REGIONS } from '#lib/topology.ts';
import { REPO_ROOT } from './functions.ts';

const subnet = z.strictObject({
  subnetId: z
    .string()
    .regex(/^subnet-[0-9a-f]{8,17}$/, 'expected a subnet id, e.g. subnet-0123456789abcdef0'),
  /** Optional; only used to describe the subnet to CDK. */
  availabilityZone: z.string().min(1).optional(),
});

/** Where the functions that reach Redis and the management servers run in one region. */
export const RegionNetworkSchema = z.strictObject({
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id, e.g. vpc-0123456789abcdef0'),
  /** Private subnets with a route to Redis, the servers and the AWS APIs (NAT gateway or VPC endpoints). */
  subnets: z.array(subnet).min(1),
  /**
   * Existing security groups that Redis and the servers already admit. When empty, the stack
   * creates one whose egress is limited to the ports in the topology; admit it where needed.
   */
  securityGroupIds: z
    .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'expected a security group id, e.g. sg-0123456789abcdef0'))
    .default([]),
});
/** Network placement of one region. */
export type RegionNetwork = z.infer<typeof RegionNetworkSchema>;

const mOfN = (m: number, n: number) =>
  z
    .strictObject({
      /** M: datapoints that must breach. */
      datapointsToAlarm: z.number().int().min(1).default(m),
      /** N: datapoints evaluated. */
      evaluationPeriods: z.number().int().min(1).default(n),
    })
    .refine(
      (a) => a.datapointsToAlarm <= a.evaluationPeriods,
      'datapointsToAlarm must be <= evaluationPeriods',
    );

/**
 * The relay alarm's period: the shortest CloudWatch alarm period (10 s and 30 s are the
 * high-resolution ones, then whole minutes; CloudWatch API reference, PutMetricAlarm `Period`) that
 * holds at least one probe sample, so that a period without data means a silent probe, never
 * "between samples".
 */
export function relayAlarmPeriodSeconds(samplesPerMinute: number): number {
  const interval = Math.floor(60 / samplesPerMinute);
  return [10, 30, 60].find((p) => p >= interval) ?? 60;
}

/** The whole deployment config. */
export const DeployConfigSchema = z.strictObject({
  /** The AWS account to deploy to (default: the CLI's credentials; synth works without). */
  account: z
    .string()
    .regex(/^\d{12}$/, 'expected a 12-digit account id')
    .optional(),
  /** Network placement by region; a region without an entry runs its functions outside any VPC. */
  regions: z.partialRecord(z.enum(AWS_REGIONS), RegionNetworkSchema).default({}),
  /** CloudWatch Logs retention of every log group, in days. */
  logRetentionDays: z.number().int().positive().default(30),
  probe: z
    .strictObject({
      /** Samples per one-minute invocation (6 = every 10 s). */
      samplesPerMinute: z.number().int().min(1).max(12).default(6),
      /**
       * The relay alarm (the one that starts a failover): M of N datapoints of 10 s below 1. Default
       * 2 of 3: the alarm only starts the workflow, whose verification step confirms the outage by
       * its own quorum (probes, alarms, Route 53 health-check metrics) before anything moves, so a
       * second failed sample is enough to begin; each datapoint more adds one period to the RTO.
       */
      relayAlarm: mOfN(2, 3).prefault({}),
      /** The agents alarm (notification only): agents connected to either server, M of N minutes. */
      agentsAlarm: z
        .strictObject({
          minAgents: z.number().int().min(1).default(1),
          datapointsToAlarm: z.number().int().min(1).default(3),
          evaluationPeriods: z.number().int().min(1).default(5),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The run report pages (S3, one bucket per region). */
  reports: z
    .strictObject({
      /** Days a page is kept (bucket lifecycle). */
      retentionDays: z.number().int().min(1).max(3650).default(90),
      /** Lifetime of the presigned link in Slack and SNS, in hours (SigV4: at most 7 days). */
      linkExpiryHours: z.number().int().min(1).max(168).default(12),
    })
    .prefault({}),
  /**
   * Reserved concurrency ("Configuring reserved concurrency for a function", AWS Lambda Developer
   * Guide): it is both a floor the rest of the account cannot take and a ceiling. The account must
   * keep at least 100 unreserved, so an account whose Lambda quota is still at a new account's
   * small default needs a quota increase first.
   */
  reservedConcurrency: z
    .strictObject({
      /** The Slack callback behind a public Function URL (auth NONE): caps what a flood of requests can take. */
      slackCallback: z.number().int().min(1).max(1000).default(10),
      /** Each function the workflow invokes (its steps and request-approval): the failover always has room. */
      workflowSteps: z.number().int().min(1).max(1000).default(5),
    })
    .prefault({}),
  /** Continuous readiness: a scheduled dry-run preflight of a failover into each region. */
  readiness: z
    .strictObject({
      /** Minutes between evaluations (EventBridge rate). */
      rateMinutes: z.number().int().min(1).max(1440).default(15),
      /** The not-ready alarm fires after this many evaluation periods with FailoverReady < 1. */
      alarmPeriods: z.number().int().min(1).max(100).default(2),
      /** A trigger alarm in INSUFFICIENT_DATA for longer than this many minutes fails its check. */
      insufficientDataMinutes: z.number().int().min(1).max(10_080).default(30),
    })
    .prefault({}),
  /** A customer-managed KMS key that encrypts the Secrets Manager secrets (decrypt is granted with reads). */
  secretsKmsKeyArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/, 'expected a KMS key ARN')
    .optional(),
});
/** A validated deployment config. */
export type DeployConfig = z.infer<typeof DeployConfigSchema>;

/**
 * Resolves a path given on the command line: absolute as is; relative to the working directory when
 * it exists there (`npx cdk synth` runs in infra/aws), else to the repository root.
 */
export function resolveInputPath(p: string): string {
  if (isAbsolute(p)) return p;
  const fromCwd = resolve(process.cwd(), p);
  return existsSync(fromCwd) ? fromCwd : resolve(REPO_ROOT, p);
}

/** Parses a deployment config document; throws naming every bad field. */
export function parseDeployConfig(doc: unknown, source = 'deploy config'): DeployConfig {
  const r = DeployConfigSchema.safeParse(doc);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  - ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new Error(
    `${source} is invalid (${lines.length} problem${lines.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
  );
}

/** Reads and validates a deployment config file. */
export function loadDeployConfig(path: string): DeployConfig {
  const file = resolveInputPath(path);
  return parseDeployConfig(JSON.parse(readFileSync(file, 'utf8')), file);
}
