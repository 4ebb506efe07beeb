/** The AgentMetrics port for any server: dispatches on its `metrics.source` (steps do not know which). */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getSecretJson } from '../aws/secrets.ts';
import { authorizerFor } from './auth.ts';
import { PrometheusAgentMetrics } from './prometheus.ts';
import type { AgentMetrics } from './reading.ts';
import { ScrapeAgentMetrics } from './scrape.ts';

/** One AgentMetrics over both sources. */
export function agentMetricsBySource(sources: {
  scrape: ScrapeAgentMetrics;
  prometheus: PrometheusAgentMetrics;
}): AgentMetrics {
  return {
    read: (server, timeoutMs) =>
      server.metrics.source === 'scrape'
        ? sources.scrape.read(server, timeoutMs)
        : sources.prometheus.read(server, timeoutMs),
  };
}

/**
 * The deployed AgentMetrics: pods scraped over the system resolver; Prometheus authorized with the
 * function's own credentials (SigV4, loaded on first use) or a Secrets Manager secret.
 */
export function awsAgentMetrics(secrets: () => SecretsManagerClient): AgentMetrics {
  return agentMetricsBySource({
    scrape: new ScrapeAgentMetrics(),
    prometheus: new PrometheusAgentMetrics(
      authorizerFor({
        secretJson: (id) => getSecretJson(secrets(), id),
        credentials: async () => {
          const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
          return defaultProvider()();
        },
      }),
    ),
  });
}
