/**
 * The common shape of every step's Lambda handler: Powertools logger and metrics; the
 * payload parsed with zod (a bad payload ends the step with `InvalidInput` naming each bad field and
 * changes nothing); the topology loaded once per container; the step's own ports built once per
 * container by the wiring its handler passes (tests and the sandbox inject theirs instead).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { FailoverError, InvalidInput } from './errors.ts';
import { parseInput } from './input.ts';
import { logger, metrics } from './powertools.ts';
import { parseTopology, type Topology } from './topology.ts';
import type * as z from './z.ts';

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
export interface StepContext<P = unknown> {
  topology: Topology;
  ports: P;
  lambda?: Context;
}

/** Where the topology and the ports come from (tests and the sandbox inject them). */
export interface HandlerOptions<P = unknown> {
  topology?: () => Promise<Topology> | Topology;
  /** The step's ports, asked on every invocation (default: the handler's own wiring, built once). */
  ports?: (t: Topology) => Promise<P> | P;
}

/** What {@link makeHandler} is given besides the injectable options. */
export interface HandlerWiring<P> extends HandlerOptions<P> {
  /** Builds the ports this step uses from the topology: only the adapters it needs are imported. */
  wire?: (t: Topology) => P;
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
 * Ports: `ports` when injected, else `wire` once per container (per topology), else none.
 */
export function makeHandler<S extends z.core.$ZodType, O, P = Record<string, never>>(
  step: string,
  schema: S,
  fn: (input: z.infer<S>, ctx: StepContext<P>) => Promise<O>,
  opts: HandlerWiring<P> = {},
) {
  const getTopology = opts.topology ?? topologyFromEnv;
  let wired: { topology: Topology; ports: P } | undefined;
  const getPorts =
    opts.ports ??
    ((t: Topology): P => {
      if (wired?.topology !== t) wired = { topology: t, ports: opts.wire ? opts.wire(t) : ({} as P) };
      return wired.ports;
    });
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
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
