/** {@link HealthCheckStatuses} over Route 53 `GetHealthCheckStatus` (each checker's latest observation). */
import { GetHealthCheckStatusCommand, type Route53Client } from '@aws-sdk/client-route-53';
import type { HealthCheckStatuses } from '../ports.ts';
import { callAws } from './errors.ts';

/** How many Route 53 health checkers currently see the endpoint healthy (`Success: ...`). */
export class Route53HealthCheckStatuses implements HealthCheckStatuses {
  private readonly client: Route53Client;
  constructor(client: Route53Client) {
    this.client = client;
  }

  async observations(healthCheckId: string): Promise<{ healthy: number; total: number }> {
    const out = await callAws('route53:GetHealthCheckStatus', () =>
      this.client.send(new GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId })),
    );
    const all = out.HealthCheckObservations ?? [];
    const healthy = all.filter((o) => o.StatusReport?.Status?.startsWith('Success')).length;
    return { healthy, total: all.length };
  }
}
