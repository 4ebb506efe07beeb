/**
 * A minimal AWS JSON 1.0 protocol server for the sandbox's AWS stand-ins (the ARC cluster endpoints
 * and the per-region CloudWatch): the real SDK clients are pointed at it, so the product's own
 * adapters run unchanged. `POST /` with `X-Amz-Target: <Service>.<Operation>` and a JSON body; an
 * error answers 4xx/5xx with `{"__type": name, "message": ...}`. Signatures are not checked.
 * `stop()` closes the port (callers then get ECONNREFUSED); `start()` opens it again on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** An error the stand-in answers with. */
export class AwsJsonError extends Error {
  readonly status: number;
  constructor(name: string, message: string, status = 400) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

/** Handles one operation; throw {@link AwsJsonError} to answer an AWS error. */
export type AwsJsonHandler = (operation: string, body: Record<string, unknown>) => Promise<unknown> | unknown;

/** A running (or stopped) stand-in endpoint. */
export interface AwsJsonEndpoint {
  url: string;
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Starts an endpoint on `host` (a free port unless `port` is given). */
export async function startAwsJsonEndpoint(
  host: string,
  handle: AwsJsonHandler,
  port = 0,
): Promise<AwsJsonEndpoint> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const send = (status: number, body: unknown, type?: string) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          ...(type ? { 'x-amzn-errortype': type } : {}),
        });
        res.end(JSON.stringify(body));
      };
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = target.split('.').pop() ?? '';
        const body = await readBody(req);
        send(200, (await handle(operation, body)) ?? {});
      } catch (e) {
        const err = e as Error & { status?: number };
        const name = e instanceof AwsJsonError ? err.name : 'InternalServerException';
        send(err.status ?? 500, { __type: name, message: err.message }, name);
      }
    })();
  };
  let server: Server | undefined;
  let boundPort = port;
  const start = async () => {
    if (server) return;
    const s = createServer(onRequest);
    s.keepAliveTimeout = 500;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(boundPort, host, () => resolve());
    });
    boundPort = (s.address() as { port: number }).port;
    server = s;
  };
  await start();
  return {
    get url() {
      return `http://${host}:${boundPort}`;
    },
    get running() {
      return server !== undefined;
    },
    start,
    stop: async () => {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
