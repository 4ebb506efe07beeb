/**
 * The Powertools instances every function shares: logger and metrics, in a module of their own so
 * that SDK client modules and handlers can both import them without an import circle.
 *
 * No Powertools Tracer: it loads the X-Ray SDK for Node.js at import (about 125 KB and 15-40 ms of
 * every cold start, bench/bundles.ts). Tracing stays on: the functions run with Lambda active
 * tracing (CDK `Tracing.ACTIVE`), which records each invocation's segment and its Initialization,
 * Invocation and Overhead subsegments whatever the runtime, and the state machine traces its own
 * steps; what is given up is one subsegment per AWS SDK call, which needs the X-Ray SDK (Lambda
 * Developer Guide, "Instrumenting Node.js code in AWS Lambda"). Each step logs its SDK errors.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'gloo-failover';

/** Structured JSON logs (level from POWERTOOLS_LOG_LEVEL). */
export const logger = new Logger({ serviceName });
/** CloudWatch EMF metrics, namespace `GlooFailover`. */
export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'GlooFailover',
});
