/** Comparing and printing DNS record contents the same way in every DnsPointer adapter. */
import type { DnsRecord } from './ports.ts';

/** Lower-case, no trailing dot, `\ddd` escapes decoded (as Route 53 returns names). */
export function normaliseDnsName(name: string): string {
  return name
    .replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)))
    .replace(/\.$/, '')
    .toLowerCase();
}

/** A Route 53 hosted zone id without the `/hostedzone/` prefix the API and the topology also accept. */
export function bareHostedZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

/** Whether a listed Route 53 record set is the record `name`/`type` (names compared normalised). */
export function isRecordSet(
  rr: { Name?: string; Type?: string } | undefined,
  name: string,
  type: string,
): boolean {
  return !!rr?.Name && rr.Type === type && normaliseDnsName(rr.Name) === normaliseDnsName(name);
}

function normaliseValue(type: string, value: string): string {
  // CNAME targets are names; A and AAAA are addresses (AAAA hex digits are case-insensitive).
  if (type === 'CNAME') return normaliseDnsName(value);
  return type === 'AAAA' ? value.toLowerCase() : value;
}

/** True when two records have the same TTL and the same set of values (order ignored). */
export function sameDnsRecord(type: string, a: DnsRecord, b: DnsRecord): boolean {
  if (a.ttl !== b.ttl || a.values.length !== b.values.length) return false;
  const av = a.values.map((v) => normaliseValue(type, v)).sort();
  const bv = b.values.map((v) => normaliseValue(type, v)).sort();
  return av.every((v, i) => v === bv[i]);
}

/** `value,value (TTL n)`, or `(no record)`. */
export function showDnsRecord(r: DnsRecord | null): string {
  return r ? `${r.values.join(',')} (TTL ${r.ttl})` : '(no record)';
}
