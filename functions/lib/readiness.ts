/**
 * Target readiness beyond "the server answers": its relay speaks TLS the agents accept (root CA,
 * authority as SNI), and its telemetry gateway (OTLP, 4317) is reachable, with TLS when configured
 * (collectors need one exporter per gateway: the seed shows `otlp` and `otlp/2`).
 */
import type { Probes } from './ports.ts';
import type { TlsCheck, TlsCheckResult } from './tls-check.ts';
import type { Server } from './topology.ts';

/** A root CA: inline PEM, or a Secrets Manager secret holding it. */
export type PemRef = { pem: string } | { secret: string };

/** Resolves a {@link PemRef} to PEM text. */
export interface PemSource {
  read(ref: PemRef): Promise<string>;
}

/** Inline PEM only (a secret reference is an error naming it): the sandbox and tests. */
export const inlinePem: PemSource = {
  read: async (ref) => {
    if ('pem' in ref) return ref.pem;
    throw new Error(`root CA secret ${ref.secret} cannot be read here (no Secrets Manager)`);
  },
};

/** The PEM in a JSON secret: key `ca.crt` (as in `relay-root-tls-secret`), else `pem`. */
export function secretPem(secretJson: (id: string) => Promise<Record<string, unknown>>): PemSource {
  return {
    read: async (ref) => {
      if ('pem' in ref) return ref.pem;
      const s = await secretJson(ref.secret);
      const pem = s['ca.crt'] ?? s.pem;
      if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----'))
        throw new Error(`secret ${ref.secret}: "ca.crt" must hold a PEM certificate`);
      return pem;
    },
  };
}

/** The ports the target readiness checks (relay TLS, telemetry gateway) use. */
export interface TargetReadinessPorts {
  probes: Probes;
  tls: TlsCheck;
  pem: PemSource;
}

/** One readiness check: ok, and a line for the plan (readiness or problem). */
export interface ReadinessLine {
  ok: boolean;
  line: string;
  problem?: TlsCheckResult['problem'];
}

/** A TLS handshake to the server's relay as an agent makes it; null when the topology sets no `relayTls`. */
export async function relayTlsReadiness(
  server: Server,
  ports: TargetReadinessPorts,
  timeoutMs: number,
): Promise<ReadinessLine | null> {
  if (!server.relayTls) return null;
  const authority = server.relayTls.authority;
  let ca: string;
  try {
    ca = await ports.pem.read(server.relayTls.rootCa);
  } catch (e) {
    return {
      ok: false,
      line: `relay TLS of ${server.id}: cannot read the agents' root CA: ${(e as Error).message}`,
    };
  }
  const r = await ports.tls.handshake(server.relayAddress, { ca, servername: authority }, timeoutMs);
  const who = `relay TLS of ${server.id} (${server.relayAddress}, authority ${authority})`;
  if (r.ok)
    return {
      ok: true,
      line: `${who}: ${r.detail}${r.peer ? `, issued by ${r.peer.issuer}, valid to ${r.peer.validTo}` : ''}`,
    };
  return {
    ok: false,
    problem: r.problem,
    line: `${who}: agents would fail TLS: ${r.detail}${r.peer ? ` (presented: ${r.peer.subject}, issued by ${r.peer.issuer}, valid to ${r.peer.validTo})` : ''}; both management servers must share the relay root CA and authority`,
  };
}

/** The server's telemetry gateway: TCP, then TLS when configured; null when none is named. */
export async function telemetryReadiness(
  server: Server,
  ports: TargetReadinessPorts,
  timeoutMs: number,
): Promise<ReadinessLine | null> {
  const g = server.telemetryGateway;
  if (!g) return null;
  const who = `telemetry gateway of ${server.id} (${g.address})`;
  const tcp = await ports.probes.tcpConnect(g.address, timeoutMs);
  if (!tcp.ok) return { ok: false, line: `${who} is not reachable: ${tcp.detail}` };
  if (!g.tls) return { ok: true, line: `${who}: TCP ${tcp.detail} in ${tcp.latencyMs} ms` };
  let ca: string;
  try {
    ca = await ports.pem.read(g.tls.rootCa);
  } catch (e) {
    return { ok: false, line: `${who}: cannot read its root CA: ${(e as Error).message}` };
  }
  const r = await ports.tls.handshake(g.address, { ca, servername: g.tls.serverName }, timeoutMs);
  return r.ok
    ? { ok: true, line: `${who}: TLS ${r.detail}` }
    : { ok: false, problem: r.problem, line: `${who}: TLS fails: ${r.detail}` };
}
