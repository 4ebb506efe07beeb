/**
 * The Powertools instances every function shares: logger, metrics and tracer, in a module of their
 * own so that SDK client modules and handlers can both import them without an import circle.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

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
