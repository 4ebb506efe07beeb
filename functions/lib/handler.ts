/**
 * The common shape of every step's Lambda handler: Powertools logger, metrics and tracer; the
 * payload parsed with zod (a bad payload ends the step with `InvalidInput` naming each bad field and
 * changes nothing); the topology loaded once per container.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { FailoverError, InvalidInput } from './errors.ts';
import { parseTopology, type Topology } from './topology.ts';
import type { Ports } from './wiring.ts';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'gloo-failover';

/** Structured JSON logs (level from POWERTOOLS_LOG_LEVEL). */
export const logger = new Logger({ serviceName });
/** CloudWatch EMF metrics, namespace `GlooFailover`. */
export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'GlooFailover',
});
/** X-Ray tracing (active only inside Lambda). */
export const tracer = new Tracer({ serviceName });

/** Formats zod issues as `path: message` lines (paths like `plan.source.server`). */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(input)',
    message: i.message.replace(/^Invalid input: expected (.+), received undefined$/, 'missing: expected $1'),
  }));
}

/** Parses `data` with `schema`; throws {@link InvalidInput} naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown, what = 'input'): z.infer<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issues = describeIssues(r.error);
  throw new InvalidInput(`invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    issues,
  });
}

let cachedTopology: Topology | undefined;

/** The deployment's topology: `TOPOLOGY_JSON` (inline, set by CDK) or `TOPOLOGY_FILE` (a path). */
export async function topologyFromEnv(): Promise<Topology> {
  if (cachedTopology) return cachedTopology;
  if (process.env.TOPOLOGY_JSON)
    cachedTopology = parseTopology(JSON.parse(process.env.TOPOLOGY_JSON), 'TOPOLOGY_JSON');
  else if (process.env.TOPOLOGY_FILE) {
    const { loadTopology } = await import('./topology.ts');
    cachedTopology = loadTopology(process.env.TOPOLOGY_FILE);
  } else throw new InvalidInput('no topology: set TOPOLOGY_JSON or TOPOLOGY_FILE');
  return cachedTopology;
}

/** What a step's logic receives besides its parsed input. */
export interface StepContext {
  topology: Topology;
  ports: Ports;
  lambda?: Context;
}

/** Options for {@link makeHandler}: where the topology and the ports come from (tests and the sandbox inject them). */
export interface HandlerOptions {
  topology?: () => Promise<Topology> | Topology;
  ports?: (t: Topology) => Promise<Ports> | Ports;
}

let cachedPorts: Ports | undefined;

/** The ports the topology selects (AWS or sandbox adapters), built once per container. */
export async function portsFromEnv(t: Topology): Promise<Ports> {
  if (!cachedPorts) {
    const { portsFromTopology } = await import('./default-ports.ts');
    cachedPorts = portsFromTopology(t);
  }
  return cachedPorts;
}

/**
 * A run names its source and target; both must be this topology's two servers, distinct, each in
 * its own region. Checked before any port is touched, so a forged or stale run changes nothing.
 */
export function checkRunAgainstTopology(step: string, input: unknown, t: Topology): void {
  const run = (
    input as {
      run?: { source?: { server: string; region: string }; target?: { server: string; region: string } };
    }
  ).run;
  if (!run?.source || !run.target) return;
  const issues: { path: string; message: string }[] = [];
  for (const side of ['source', 'target'] as const) {
    const ref = run[side]!;
    const server = t.servers.find((s) => s.id === ref.server);
    if (!server)
      issues.push({
        path: `run.${side}.server`,
        message: `expected one of the server ids ${t.servers.map((s) => s.id).join(', ')}`,
      });
    else if (server.region !== ref.region)
      issues.push({
        path: `run.${side}.region`,
        message: `expected ${server.region} (the region of ${server.id})`,
      });
  }
  if (run.source.server === run.target.server)
    issues.push({
      path: 'run.target.server',
      message: `must differ from run.source.server (${run.source.server})`,
    });
  if (issues.length)
    throw new InvalidInput(
      `invalid ${step} input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { issues },
    );
}

/**
 * Wraps a step's function as a Lambda handler: parse, log, trace, emit metrics. Errors propagate
 * with their `name` (Step Functions routes on it); unexpected errors are logged with their stack.
 */
export function makeHandler<S extends z.ZodType, O>(
  step: string,
  schema: S,
  fn: (input: z.infer<S>, ctx: StepContext) => Promise<O>,
  opts: HandlerOptions = {},
) {
  const getTopology = opts.topology ?? topologyFromEnv;
  const getPorts = opts.ports ?? portsFromEnv;
  const base = async (event: unknown, context: Context): Promise<O> => {
    metrics.addMetric(`${step}Invocations`, 'Count', 1);
    const input = parseInput(schema, event, `${step} input`);
    const topology = await getTopology();
    checkRunAgainstTopology(step, input, topology);
    const started = Date.now();
    try {
      const ports = await getPorts(topology);
      const out = await fn(input, { topology, ports, lambda: context });
      metrics.addMetric(`${step}Succeeded`, 'Count', 1);
      return out;
    } catch (e) {
      metrics.addMetric(`${step}Failed`, 'Count', 1);
      if (e instanceof FailoverError) logger.warn(`${step} ended with ${e.name}`, { error: e.toJSON() });
      else logger.error(`${step} failed unexpectedly`, e as Error);
      throw e;
    } finally {
      metrics.addMetric(`${step}DurationMs`, 'Milliseconds', Date.now() - started);
    }
  };
  return middy(base)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
