/**
 * The observation ports of the management servers: AgentMetrics (every pod scraped, or the
 * topology's Prometheus with SigV4 or a Secrets Manager secret) and the root CAs for TLS checks.
 */
import { ownRegion } from '../aws/clients/defaults.ts';
import { secretsManagerClientFor } from '../aws/clients/secrets-manager.ts';
import { getSecretJson } from '../aws/secrets.ts';
import { awsAgentMetrics } from '../metrics/agent-metrics.ts';
import { secretPem } from '../readiness.ts';
import type { Ports } from '../wiring.ts';

/** The relay gauges of any server, whichever `metrics.source` it names. */
export function agentMetricsPort(): Ports['agentMetrics'] {
  return awsAgentMetrics(() => secretsManagerClientFor(ownRegion()));
}

/** Root CAs named by the topology: inline PEM, or a Secrets Manager secret (`ca.crt`). */
export function pemPort(): Ports['pem'] {
  return secretPem((id) => getSecretJson(secretsManagerClientFor(ownRegion()), id));
}
