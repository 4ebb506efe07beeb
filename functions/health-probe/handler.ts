/**
 * Lambda handler of the health probe (EventBridge schedule, every minute): runs
 * {@link runHealthProbe} with the settings from the environment (`PROBE_CLUSTERS`, `PROBE_SAMPLES`,
 * `PROBE_INTERVAL_SECONDS`, `PROBE_TIMEOUT_MS`), publishing to CloudWatch and recording the
 * connected clusters in the clusters table (`CLUSTER_TABLE_NAME`).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoClusterRegistry } from '#lib/aws/dynamo-cluster-registry.ts';
import { systemClock } from '#lib/clock.ts';
import { InvalidInput } from '#lib/errors.ts';
import { type FenceResult, fenceStalePrimaries } from '#lib/fence.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { awsAgentMetrics } from '#lib/metrics/agent-metrics.ts';
import type { RedisState } from '#lib/ports.ts';
import { logger } from '#lib/powertools.ts';
import { netProbes } from '#lib/probes.ts';
import type { Topology } from '#lib/topology.ts';
import { redisLockPort } from '#lib/wire/lock.ts';
import { redisPromoterPort } from '#lib/wire/promoter.ts';
import * as z from '#lib/z.ts';
import { CloudWatchMetricPublisher } from './cloudwatch-publisher.ts';
import {
  type HealthProbeDeps,
  type HealthProbeSettings,
  PROBE_METRICS,
  runHealthProbe,
} from './health-probe.ts';

/** The scheduled event (its content is not used). */
export const ScheduledEvent = z.looseObject({});

/** Reads the probe settings from the environment. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): HealthProbeSettings {
  const num = (name: string, dflt: number) => {
    const v = env[name] === undefined || env[name] === '' ? dflt : Number(env[name]);
    if (!Number.isFinite(v) || v <= 0) throw new InvalidInput(`${name} must be a positive number`);
    return v;
  };
  return {
    probeRegion: env.AWS_REGION ?? 'unknown',
    clusters: (env.PROBE_CLUSTERS ?? '').split(',').filter(Boolean),
    samples: Math.floor(num('PROBE_SAMPLES', 6)),
    intervalMs: num('PROBE_INTERVAL_SECONDS', 10) * 1000,
    timeoutMs: num('PROBE_TIMEOUT_MS', 2_000),
  };
}

// Clients built here (once per container) with shorter timeouts than `#lib/aws/clients/`: the
// probe samples every 10 s.
const clientSettings = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
};
let cloudwatch: CloudWatchClient | undefined;
let dynamo: DynamoDBDocumentClient | undefined;
let secrets: SecretsManagerClient | undefined;
/** Secrets Manager, only for a Prometheus whose auth is a secret. */
const secretsClient = () => {
  secrets ??= new SecretsManagerClient(clientSettings);
  return secrets;
};
const cloudWatchClient = () => {
  cloudwatch ??= new CloudWatchClient(clientSettings);
  return cloudwatch;
};
const documentClient = () => {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient(clientSettings), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
};

/** Injectable dependencies (anything left out is built for AWS). */
export interface HealthProbeHandlerDeps {
  topology?: HandlerOptions['topology'];
  deps?: Partial<HealthProbeDeps>;
  settings?: HealthProbeSettings;
  /** The fencing pass (default: `fenceStalePrimaries` on the topology's Redis). */
  fence?: (t: Topology) => Promise<FenceResult>;
  /** The Redis roles (default: the promoter's `describe` on the topology's Redis). */
  redisState?: (t: Topology) => Promise<RedisState>;
}

let fencePorts: { topology: Topology; ports: Parameters<typeof fenceStalePrimaries>[1] } | undefined;

/** The fencing pass on the deployment's own Redis members (promoter and lock built once per container). */
async function defaultFence(t: Topology): Promise<FenceResult> {
  return fenceStalePrimaries(t, defaultFencePorts(t));
}

/** The promoter and lock of the deployment's own Redis, built once per container and topology. */
function defaultFencePorts(t: Topology): Parameters<typeof fenceStalePrimaries>[1] {
  if (fencePorts?.topology !== t)
    fencePorts = {
      topology: t,
      ports: { promoter: redisPromoterPort(t, systemClock), lock: redisLockPort(t) },
    };
  return fencePorts.ports;
}

/** The Redis roles, through the promoter the fencing pass uses. */
function defaultRedisState(t: Topology): Promise<RedisState> {
  return defaultFencePorts(t).promoter.describe();
}

/**
 * `RedisRefusesWrites` for each server whose member is a primary (self-managed Redis only: an
 * ElastiCache primary never refuses by itself): the active server cannot write while it is 1.
 */
async function publishRefusal(
  t: Topology,
  state: (t: Topology) => Promise<RedisState>,
  publisher: HealthProbeDeps['publisher'],
  probeRegion: string,
  at: number,
): Promise<void> {
  if (t.redis.kind !== 'replicaof') return;
  const redis = await state(t);
  const data = redis.members
    .filter((m) => m.reachable && m.role === 'primary')
    .flatMap((m) =>
      t.servers
        .filter((s) => s.region === m.region)
        .map((s) => ({
          metric: PROBE_METRICS.redisRefusesWrites,
          cluster: s.id,
          probeRegion,
          value: m.refusesWrites ? 1 : 0,
          at,
        })),
    );
  if (data.length) await publisher.publish(data);
}

/** Builds the health-probe handler. */
export function buildHealthProbeHandler(opts: HealthProbeHandlerDeps = {}) {
  return makeHandler(
    'HealthProbe',
    ScheduledEvent,
    async (_event, { topology, lambda }) => {
      const table = process.env.CLUSTER_TABLE_NAME;
      const deps: HealthProbeDeps = {
        probes: opts.deps?.probes ?? netProbes,
        agentMetrics: opts.deps?.agentMetrics ?? awsAgentMetrics(secretsClient),
        clock: opts.deps?.clock ?? systemClock,
        publisher: opts.deps?.publisher ?? new CloudWatchMetricPublisher(cloudWatchClient()),
        registry:
          opts.deps?.registry ??
          new DynamoClusterRegistry({
            client: documentClient(),
            tableName: table ?? 'gloo-failover-clusters',
          }),
        remainingMs: opts.deps?.remainingMs ?? (lambda ? () => lambda.getRemainingTimeInMillis() : undefined),
      };
      const settings = opts.settings ?? settingsFromEnv();
      const report = await runHealthProbe(topology, settings, deps);
      // An old primary back after an unplanned promotion must not write beside the new one.
      const fence = await (opts.fence ?? defaultFence)(topology).catch((e: Error) => ({
        fenced: [],
        live: null,
        detail: `fencing pass failed: ${e.message}`,
      }));
      if (fence.fenced.length) logger.warn('fenced a returning old primary', { fence });
      // The roles the fencing pass read, when it read them (one describe per invocation, not two).
      const roles = 'redis' in fence && fence.redis;
      await publishRefusal(
        topology,
        roles ? async () => roles : (opts.redisState ?? defaultRedisState),
        deps.publisher,
        String(settings.probeRegion),
        deps.clock.now(),
      ).catch((e: Error) => logger.warn('could not publish RedisRefusesWrites', { error: e.message }));
      const last = report.samples.at(-1);
      logger.info('probe run', {
        samples: report.samples.length,
        last: last?.servers.map((s) => ({
          server: s.server,
          relay: s.relay.ok,
          agents: s.connectedClusters?.length ?? null,
        })),
        recorded: report.recorded,
        publishErrors: report.publishErrors,
      });
      if (report.publishErrors.length === report.samples.length && report.samples.length > 0)
        throw new Error(`no probe sample could be published: ${report.publishErrors[0]}`);
      return { samples: report.samples.length, recorded: report.recorded, fenced: fence.fenced };
    },
    { topology: opts.topology },
  );
}

/** The Lambda entry point. */
export const handler = buildHealthProbeHandler();
