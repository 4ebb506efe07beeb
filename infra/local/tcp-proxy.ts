/**
 * A loopback TCP proxy with knobs: added latency, a paused direction (bytes held back, connection
 * kept open, like a congested link), or refused connections. Used by the sandbox for
 * latency/failure injection and by tests to make a replica lag deterministically.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './redis-server.ts';

/** A running proxy. */
export interface TcpProxy {
  port: number;
  endpoint: string;
  /** Hold back bytes flowing from the upstream to clients (they are delivered on resume). */
  pauseDownstream(): void;
  /**
   * Pause downstream as soon as a client sends bytes containing `marker` (the request still goes
   * up): the server acts on it but its reply is held, as with a reply lost on the way back.
   */
  pauseDownstreamOn(marker: string): void;
  resume(): void;
  /** Delay every chunk by this many milliseconds. */
  setLatency(ms: number): void;
  /** Reset existing connections and refuse new ones until `accept()`. */
  refuse(): void;
  accept(): void;
  close(): Promise<void>;
}

/** Starts a proxy from a free loopback port to `upstream` (host:port). */
export async function startTcpProxy(upstream: string): Promise<TcpProxy> {
  const [host = '127.0.0.1', portText = '0'] = [
    upstream.slice(0, upstream.lastIndexOf(':')),
    upstream.slice(upstream.lastIndexOf(':') + 1),
  ];
  let paused = false;
  let latency = 0;
  let refusing = false;
  let pauseMarker: string | undefined;
  const pairs = new Set<{ client: Socket; up: Socket }>();
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const up = connect(Number(portText), host);
    const pair = { client, up };
    pairs.add(pair);
    const held: Buffer[] = [];
    const forward = (to: Socket) => (chunk: Buffer) => {
      const send = () => {
        if (!to.destroyed) to.write(chunk);
      };
      if (latency > 0) setTimeout(send, latency);
      else send();
    };
    client.on('data', (chunk: Buffer) => {
      if (pauseMarker && chunk.includes(pauseMarker)) {
        paused = true;
        pauseMarker = undefined;
      }
      forward(up)(chunk);
    });
    up.on('data', (chunk: Buffer) => {
      if (paused) held.push(chunk);
      else forward(client)(chunk);
    });
    (pair as unknown as { flush: () => void }).flush = () => {
      for (const c of held.splice(0)) forward(client)(c);
    };
    const end = () => {
      client.destroy();
      up.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    pauseDownstream: () => {
      paused = true;
    },
    pauseDownstreamOn: (marker) => {
      pauseMarker = marker;
    },
    resume: () => {
      paused = false;
      for (const p of pairs) (p as unknown as { flush: () => void }).flush?.();
    },
    setLatency: (ms) => {
      latency = ms;
    },
    refuse: () => {
      refusing = true;
      for (const p of pairs) {
        p.client.destroy();
        p.up.destroy();
      }
      pairs.clear();
    },
    accept: () => {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of pairs) {
          p.client.destroy();
          p.up.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
