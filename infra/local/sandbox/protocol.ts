/**
 * The sandbox relay protocol: newline-delimited JSON over TCP, standing in for Gloo's relay (gRPC
 * over mTLS on 9900). Agent -> server: `hello`, `heartbeat`, `snapshot`; server -> agent: `welcome`,
 * `ack`, `goaway`. `ping`/`pong` is the probe the sandbox alarm evaluator uses.
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** One relay message. */
export type RelayMessage =
  | { t: 'hello'; cluster: string }
  | { t: 'welcome'; server: string; active: boolean }
  | { t: 'heartbeat'; seq: number }
  | { t: 'ack'; seq: number }
  | { t: 'snapshot'; data: unknown }
  | { t: 'goaway'; reason: string }
  | { t: 'ping' }
  | { t: 'pong'; server: string };

const MAX_LINE = 1 << 20;

/** Writes one message; a no-op on a destroyed socket. */
export function sendMessage(socket: Socket, msg: RelayMessage): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(msg)}\n`);
}

/** Calls `fn` for every complete message read from `socket`; destroys the socket on garbage. */
export function onMessages(socket: Socket, fn: (msg: RelayMessage) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE) {
      socket.destroy();
      return;
    }
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line) {
        let msg: RelayMessage;
        try {
          msg = JSON.parse(line) as RelayMessage;
        } catch {
          socket.destroy();
          return;
        }
        fn(msg);
        if (socket.destroyed) return;
      }
      i = buf.indexOf('\n');
    }
  });
}

/**
 * Connects to a relay port and exchanges `ping`/`pong`: succeeds only when the server answers
 * (a frozen server accepts the TCP connection but never answers, so a bare connect would pass).
 */
export function relayPing(
  host: string,
  port: number,
  timeoutMs: number,
  tls = false,
): Promise<{ ok: boolean; latencyMs: number; detail: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    // Over TLS the probe checks reachability only (like an NLB's TCP check), not the certificate.
    const socket = tls ? connectTls({ host, port, rejectUnauthorized: false }) : connect({ host, port });
    let done = false;
    const finish = (ok: boolean, detail: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, latencyMs: Math.round(performance.now() - started), detail });
    };
    const timer = setTimeout(() => finish(false, `timeout after ${timeoutMs} ms`), timeoutMs);
    socket.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message));
    socket.on('close', () => finish(false, 'closed'));
    socket.on(tls ? 'secureConnect' : 'connect', () => sendMessage(socket, { t: 'ping' }));
    onMessages(socket, (m) => {
      if (m.t === 'pong') finish(true, `pong from ${m.server}`);
    });
  });
}
