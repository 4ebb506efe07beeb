/** The DNS pointer port the topology selects (Route 53 record compare-and-swap). */
import { ownRegion } from '../aws/clients/defaults.ts';
import { route53Client, route53WriteClient } from '../aws/clients/route53.ts';
import { Route53DnsPointer } from '../aws/route53-dns.ts';
import { InvalidTopology } from '../errors.ts';
import type { Topology } from '../topology.ts';
import type { Ports } from '../wiring.ts';

/** The relay record's pointer; a provider without an adapter here must be injected by the caller. */
export function dnsPointerPort(t: Topology): Ports['dns'] {
  const p = t.dns.provider;
  if (p.kind !== 'route53')
    throw new InvalidTopology(
      `dns.provider.kind "${p.kind}" has no deployed adapter: expected "route53" (other providers are injected by their host)`,
    );
  return new Route53DnsPointer({
    client: route53Client(ownRegion()),
    writeClient: route53WriteClient(ownRegion()),
    hostedZoneId: p.hostedZoneId,
    recordName: t.dns.recordName,
    recordType: t.dns.recordType,
  });
}
