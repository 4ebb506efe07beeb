/**
 * The DNS ports the topology selects: the Route 53 record pointer, the DNS switch of `dns.switch.mode`
 * (record compare-and-swap, ARC routing controls, or out-of-service alarms), and the data-plane
 * answers that confirm a switch.
 */

import { cloudWatchClientFor } from '../aws/clients/cloudwatch.ts';
import { ownRegion } from '../aws/clients/defaults.ts';
import { route53Client, route53WriteClient } from '../aws/clients/route53.ts';
import { Route53DnsPointer } from '../aws/route53-dns.ts';
import { Route53Inventory } from '../aws/route53-inventory.ts';
import {
  arcControlsFromEnv,
  arcEndpointsFromEnv,
  dnsAnswersFor,
  dnsSwitchFor,
} from '../dns/from-topology.ts';
import { InvalidTopology } from '../errors.ts';
import type { DnsInventory } from '../ports.ts';
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

/** The switch of `dns.switch.mode`; the record pointer is built only by the route53-record mode. */
export function dnsSwitchPort(t: Topology): Ports['dnsSwitch'] {
  return dnsSwitchFor(t, {
    pointer: () => dnsPointerPort(t),
    cloudWatchFor: cloudWatchClientFor,
    arcEndpoints: arcEndpointsFromEnv(),
    arcControls: arcControlsFromEnv(t),
  });
}

/** The relay name as the zone's authoritative servers (and `dns.confirm.resolvers`) answer it. */
export function dnsAnswersPort(t: Topology): Ports['dnsAnswers'] {
  return dnsAnswersFor(t);
}

/** The relay name's record sets and health checks from the Route 53 control plane (readiness only). */
export function dnsInventoryPort(t: Topology): DnsInventory {
  const p = t.dns.provider;
  if (p.kind !== 'route53')
    throw new InvalidTopology(
      `dns.provider.kind "${p.kind}" has no deployed inventory adapter: expected "route53"`,
    );
  return new Route53Inventory({
    client: route53Client(ownRegion()),
    hostedZoneId: p.hostedZoneId,
    recordName: t.dns.recordName,
    recordType: t.dns.recordType,
  });
}
