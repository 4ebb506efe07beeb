/**
 * The Lambda functions of a regional stack: where each entry point is, and its sizing. Shared by
 * the CDK app and bench/bundles.ts so that the bundles measured are the bundles deployed.
 */

import { join, resolve } from 'node:path';
import { WORKFLOW_FUNCTION_KEYS } from '#workflows/definition.ts';

/** The repository root (holds package.json, package-lock.json and functions/). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Keys of the functions; the workflow ones match `WorkflowFunctions` in workflows/definition.ts. */
export const FUNCTION_KEYS = [
  ...WORKFLOW_FUNCTION_KEYS,
  'slackCallback',
  'trigger',
  'healthProbe',
  'reprotect',
  'readiness',
] as const;

/** One function's key. */
export type FunctionKey = (typeof FUNCTION_KEYS)[number];

/** What a function is and how it is sized. */
export interface FunctionSpec {
  /** Folder under functions/ holding `handler.ts`. */
  dir: string;
  description: string;
  /** Memory in MB (CPU share scales with it; 512 MB keeps cold starts short for rare, latency-bound steps). */
  memoryMB: number;
  /** Lambda timeout, kept below the ASL Task `TimeoutSeconds` so the Lambda's own error is what the workflow sees. */
  timeoutSeconds: number;
  /** Placed in the VPC: it reaches Redis, the management servers' relay/metrics/health ports. */
  vpc: boolean;
}

/** Every function of a regional stack. */
export const FUNCTION_SPECS: Record<FunctionKey, FunctionSpec> = {
  preflight: {
    dir: 'preflight',
    description: 'Step 1: read the current state, check the target is ready, record a plan',
    memoryMB: 512,
    timeoutSeconds: 50,
    vpc: true,
  },
  verifyOutage: {
    dir: 'verify-outage',
    description: 'Step 2 (failover): multi-signal quorum that the source is down',
    memoryMB: 512,
    timeoutSeconds: 75,
    vpc: true,
  },
  verifyRecovered: {
    dir: 'verify-recovered',
    description: 'Step 2 (failback): multi-signal quorum that the home cluster is healthy again',
    memoryMB: 512,
    timeoutSeconds: 75,
    vpc: true,
  },
  promoteRedis: {
    dir: 'promote-redis',
    description:
      'Step 4: promote the target Redis (Global Datastore failover from its region; detach only on request) and poll',
    memoryMB: 512,
    timeoutSeconds: 55,
    vpc: true,
  },
  switchLock: {
    dir: 'switch-lock',
    description: 'Step 5: compare-and-set the Gloo global lock with a fencing epoch',
    memoryMB: 512,
    timeoutSeconds: 25,
    vpc: true,
  },
  repointDns: {
    dir: 'repoint-dns',
    description: 'Step 6: Route 53 DELETE+CREATE compare-and-swap of the relay record, then poll INSYNC',
    memoryMB: 512,
    timeoutSeconds: 25,
    vpc: true,
  },
  confirmReconnect: {
    dir: 'confirm-reconnect',
    description: 'Step 7: scrape the target server until the expected agents are connected and warmed',
    memoryMB: 512,
    timeoutSeconds: 50,
    vpc: true,
  },
  report: {
    dir: 'report',
    description: 'Step 8: RTO breakdown, what changed, what is left to do; published to SNS',
    memoryMB: 512,
    timeoutSeconds: 50,
    vpc: true,
  },
  requestApproval: {
    dir: 'request-approval',
    description: 'Approval gate: post the Slack message and keep the task token; apply the timeout policy',
    memoryMB: 512,
    timeoutSeconds: 25,
    vpc: false,
  },
  slackCallback: {
    dir: 'slack-callback',
    description: 'Slack interactivity endpoint (Function URL): verify the signature, resume the workflow',
    memoryMB: 512,
    timeoutSeconds: 10,
    vpc: false,
  },
  trigger: {
    dir: 'trigger',
    description: 'CloudWatch alarm -> one failover execution per incident',
    memoryMB: 256,
    timeoutSeconds: 15,
    vpc: false,
  },
  healthProbe: {
    dir: 'health-probe',
    description:
      'Every minute, 6 samples 10 s apart: relay reachability and connected agents, as metrics; fences a returning old primary',
    memoryMB: 256,
    timeoutSeconds: 75,
    vpc: true,
  },
  reprotect: {
    dir: 'reprotect',
    description:
      'Re-protect workflow: new global datastore from the survivor, new secondary in the recovered region, record it',
    memoryMB: 512,
    timeoutSeconds: 100,
    vpc: true,
  },
  readiness: {
    dir: 'readiness',
    description:
      'On a schedule: a dry-run preflight of a failover into this region plus configuration checks; publishes FailoverReady',
    memoryMB: 512,
    timeoutSeconds: 60,
    vpc: true,
  },
};

/** The handler.ts of a function. */
export function entryOf(key: FunctionKey): string {
  return join(REPO_ROOT, 'functions', FUNCTION_SPECS[key].dir, 'handler.ts');
}
