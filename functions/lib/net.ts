/** Address helpers shared by probes and Redis (no dependencies, so small bundles stay small). */

/** Splits `host:port` (IPv6 in brackets allowed). */
export function splitHostPort(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(endpoint.slice(i + 1)) };
}
