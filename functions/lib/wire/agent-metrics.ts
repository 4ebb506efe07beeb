/** The AgentMetrics port: every pod scraped, or the topology's Prometheus (SigV4 or a Secrets Manager secret). */
import { ownRegion } from '../aws/clients/defaults.ts';
import { secretsManagerClientFor } from '../aws/clients/secrets-manager.ts';
import { awsAgentMetrics } from '../metrics/agent-metrics.ts';
import type { Ports } from '../wiring.ts';

/** The relay gauges of any server, whichever `metrics.source` it names. */
export function agentMetricsPort(): Ports['agentMetrics'] {
  return awsAgentMetrics(() => secretsManagerClientFor(ownRegion()));
}
