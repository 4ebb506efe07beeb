/**
 * A management server's health check, as its topology says: an HTTP GET whose status must be one
 * of `expectStatus` (the 8090 health path is not publicly documented, so path and codes are
 * configuration), or a TCP connect to the relay port, as the vendor's NLB examples check (TCP 9900).
 * Preflight (is the target healthy?) and the verification probes use this one function.
 */
import type { ProbeResult, Probes } from './ports.ts';
import type { Server } from './topology.ts';

type Expect = number | '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** Whether an HTTP status matches one of the expected codes or classes (`2xx`). */
export function statusMatches(status: number, expect: readonly Expect[]): boolean {
  return expect.some((e) =>
    typeof e === 'number' ? e === status : Math.floor(status / 100) === Number(e[0]),
  );
}

/** What the check probes, for messages: the URL, or `tcp://<relay address>`. */
export function healthTarget(server: Server): string {
  return server.health.kind === 'http' ? server.health.url : `tcp://${server.relayAddress}`;
}

/** One health check of `server` (not `async`: the probe starts at once, like the relay probe). */
export function checkHealth(server: Server, probes: Probes, timeoutMs: number): Promise<ProbeResult> {
  const h = server.health;
  if (h.kind === 'tcp') return probes.tcpConnect(server.relayAddress, timeoutMs);
  return probes.httpGet(h.url, timeoutMs).then((r) => {
    if (r.status === undefined) return { ok: r.ok, latencyMs: r.latencyMs, detail: r.detail };
    const ok = statusMatches(r.status, h.expectStatus);
    return {
      ok,
      latencyMs: r.latencyMs,
      detail: ok ? `HTTP ${r.status}` : `HTTP ${r.status} (expected ${h.expectStatus.join(', ')})`,
    };
  });
}
