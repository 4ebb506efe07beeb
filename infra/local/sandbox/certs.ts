/**
 * Relay TLS material for the sandbox, generated at start with the `openssl` CLI (Debian package
 * `openssl`, installed by the project's scripts like `redis-server`). Why the CLI: node:crypto
 * makes key pairs but cannot issue X.509 certificates, and openssl is the maintained, audited tool
 * every Debian image has, so no npm dependency is added for a test fixture.
 *
 * Like Gloo's relay secrets (`relay-root-tls-secret` ca.crt, `relay-server-tls-secret`): one root
 * CA the agents trust, and server certificates for the authority name agents send as SNI
 * (`glooAgent.relay.authority`, default `gloo-mesh-mgmt-server.gloo-mesh`). For fault scenarios:
 * a certificate from ANOTHER CA, one for the wrong name, and an expired one. EC P-256 keys, so the
 * whole set takes a few hundred milliseconds; made once per process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The default relay authority (Gloo Helm `glooAgent.relay.authority`). */
export const DEFAULT_AUTHORITY = 'gloo-mesh-mgmt-server.gloo-mesh';
/** The telemetry gateway's name in the sandbox certificates. */
export const TELEMETRY_NAME = 'gloo-telemetry-gateway.gloo-mesh';

/** A key and its certificate (PEM). */
export interface KeyPair {
  key: string;
  cert: string;
}

/** Which certificate a sandbox server presents on its relay port. */
export type RelayCertKind = 'valid' | 'other-ca' | 'wrong-name' | 'expired';

/** The sandbox's TLS material. */
export interface SandboxCerts {
  /** The root CA agents trust (PEM). */
  ca: string;
  /** Server certificates by kind. */
  server: Record<RelayCertKind, KeyPair>;
  /** The webhook receiver's certificate (for `127.0.0.1`), from the same root CA. */
  webhook: KeyPair;
}

let made: Promise<SandboxCerts> | undefined;

/** The sandbox certificates (generated on first use, then shared by every sandbox in the process). */
export function sandboxCerts(): Promise<SandboxCerts> {
  made ??= generate().catch((e: Error) => {
    made = undefined;
    throw new Error(
      `sandbox: cannot generate relay certificates with openssl (install the Debian package openssl): ${e.message}`,
    );
  });
  return made;
}

async function generate(): Promise<SandboxCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'gloo-sandbox-certs-'));
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { timeout: 20_000 });
  // Each certificate its own serial (no shared serial file: the issues run in parallel).
  let serial = 1_000 + Math.floor(Math.random() * 1_000_000);
  try {
    // A new EC P-256 key (unencrypted) in <name>.key and a request for it with subject /CN=<cn>: a
    // CSR in <name>.csr for a CA to sign, or (selfSigned) a CA certificate in <name>.crt.
    const request = (name: string, cn: string, selfSigned: boolean) =>
      openssl(
        'req',
        ...(selfSigned ? ['-x509'] : []),
        ...['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f(`${name}.key`)],
        ...(selfSigned ? ['-out', f(`${name}.crt`), '-days', '30'] : ['-out', f(`${name}.csr`)]),
        ...['-subj', `/CN=${cn}`],
      );
    await Promise.all([
      request('relay-root-ca', 'relay-root-ca', true),
      request('another-ca', 'another-ca', true),
    ]);
    const issue = async (name: string, caName: string, dnsNames: string[], days: string) => {
      await request(name, dnsNames[0]!, false);
      const san = dnsNames.map((d) => (/^\d+\.\d+\.\d+\.\d+$/.test(d) ? `IP:${d}` : `DNS:${d}`));
      await writeFile(f(`${name}.ext`), `subjectAltName=${san.join(',')}\n`);
      await openssl(
        'x509',
        '-req',
        '-in',
        f(`${name}.csr`),
        '-CA',
        f(`${caName}.crt`),
        '-CAkey',
        f(`${caName}.key`),
        '-set_serial',
        String(serial++),
        '-out',
        f(`${name}.crt`),
        '-days',
        days,
        '-extfile',
        f(`${name}.ext`),
      );
      return {
        key: await readFile(f(`${name}.key`), 'utf8'),
        cert: await readFile(f(`${name}.crt`), 'utf8'),
      };
    };
    const names = [DEFAULT_AUTHORITY, TELEMETRY_NAME];
    const [valid, otherCa, wrongName, expired, webhook] = await Promise.all([
      issue('valid', 'relay-root-ca', names, '30'),
      issue('other-ca', 'another-ca', names, '30'),
      issue('wrong-name', 'relay-root-ca', ['mgmt-server.someone-else.example'], '30'),
      // notAfter one day before notBefore: expired from the start.
      issue('expired', 'relay-root-ca', names, '-1'),
      issue('webhook', 'relay-root-ca', ['127.0.0.1'], '30'),
    ]);
    return {
      ca: await readFile(f('relay-root-ca.crt'), 'utf8'),
      server: { valid, 'other-ca': otherCa, 'wrong-name': wrongName, expired },
      webhook,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
