/**
 * The sandbox's `meshctl`: speaks exactly the vendor's documented command line for the lock switch,
 *
 *   meshctl experimental switch-active --kubecontext CTX --mgmt-cluster-name NAME --redis-address ADDR
 *
 * (Gloo docs, "CI/CD pipeline configuration" and failover step 3; `x` is the documented short
 * form of `experimental`), and nothing else. Unknown flags, commands or missing flags are refused
 * the way a cobra CLI refuses them (`Error: unknown flag: --foo`, usage on stderr, exit code 1).
 *
 * What it does (the sandbox's model; Gloo's real key is not public): reads the kube context from
 * `$KUBECONFIG` (JSON), checks that cluster's API address answers, and sets the sandbox's Gloo
 * lock (infra/local/sandbox/gloo-lock.ts) on the Redis at `--redis-address` to
 * `<mgmt-cluster-name>/<server the context reaches>`, raising its epoch; already set: no write.
 *
 * Sandbox-only knobs, next to the kubeconfig: every call's argv is appended to
 * `meshctl-calls.jsonl`, and `meshctl-faults.json` may say `{"mode":"fail","exitCode":N,"stderr":"..."}`
 * or `{"mode":"hang"}`.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { splitHostPort } from '#lib/redis/connect.ts';
import { renderLockValue } from '#lib/topology.ts';
import { SANDBOX_GLOO_LOCK, SWITCH_ACTIVE_SCRIPT } from './sandbox/gloo-lock.ts';

const USAGE = `Usage:
  meshctl experimental switch-active [flags]

Flags:
  -h, --help                       help for switch-active
      --kubecontext string         Kubernetes context of the management cluster to make active
      --mgmt-cluster-name string   Name of the management cluster (common.cluster)
      --redis-address string       Address of the shared Redis
`;
const FLAGS = ['kubecontext', 'mgmt-cluster-name', 'redis-address'] as const;
type Flag = (typeof FLAGS)[number];

class CliError extends Error {
  readonly usage: boolean;
  constructor(message: string, usage = true) {
    super(message);
    this.usage = usage;
  }
}

function parse(argv: string[]): Record<Flag, string> | 'help' {
  const [group, command, ...rest] = argv;
  if (group === '-h' || group === '--help' || group === undefined) return 'help';
  if (group !== 'experimental' && group !== 'x')
    throw new CliError(`unknown command "${group}" for "meshctl"`);
  if (command === undefined || command === '-h' || command === '--help') return 'help';
  if (command !== 'switch-active')
    throw new CliError(`unknown command "${command}" for "meshctl experimental"`);
  const out: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    if (!arg.startsWith('--'))
      throw new CliError(`unknown command "${arg}" for "meshctl experimental switch-active"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!(FLAGS as readonly string[]).includes(name)) throw new CliError(`unknown flag: --${name}`);
    const value = eq < 0 ? rest[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq < 0 && value.startsWith('--')))
      throw new CliError(`flag needs an argument: --${name}`);
    out[name as Flag] = value;
  }
  const missing = FLAGS.filter((f) => !out[f]);
  if (missing.length)
    throw new CliError(`required flag(s) ${missing.map((m) => `"${m}"`).join(', ')} not set`);
  return out as Record<Flag, string>;
}

interface KubeConfig {
  contexts?: { name: string; context: { cluster: string } }[];
  clusters?: { name: string; cluster: { server: string } }[];
}

async function main(argv: string[]): Promise<number> {
  const kubeconfig = process.env.KUBECONFIG ?? '';
  const dir = kubeconfig ? dirname(kubeconfig) : '';
  if (dir) appendFileSync(join(dir, 'meshctl-calls.jsonl'), `${JSON.stringify(['meshctl', ...argv])}\n`);
  const args = parse(argv);
  if (args === 'help') {
    process.stdout.write(`Switch the active management server (moves the Redis global lock).\n\n${USAGE}`);
    return 0;
  }
  const faults =
    dir && existsSync(join(dir, 'meshctl-faults.json'))
      ? (JSON.parse(readFileSync(join(dir, 'meshctl-faults.json'), 'utf8')) as {
          mode?: string;
          exitCode?: number;
          stderr?: string;
        })
      : {};
  if (faults.mode === 'hang') await new Promise(() => setInterval(() => {}, 60_000));
  if (faults.mode === 'fail') {
    process.stderr.write(`${faults.stderr ?? 'Error: injected failure'}\n`);
    return faults.exitCode ?? 1;
  }

  if (!kubeconfig) throw new CliError('no kubeconfig: KUBECONFIG is not set', false);
  let cfg: KubeConfig;
  try {
    cfg = JSON.parse(readFileSync(kubeconfig, 'utf8')) as KubeConfig;
  } catch (e) {
    throw new CliError(`failed to load kubeconfig ${kubeconfig}: ${(e as Error).message}`, false);
  }
  const ctx = cfg.contexts?.find((c) => c.name === args.kubecontext);
  if (!ctx) throw new CliError(`context "${args.kubecontext}" does not exist`, false);
  const cluster = cfg.clusters?.find((c) => c.name === ctx.context.cluster);
  if (!cluster)
    throw new CliError(
      `cluster "${ctx.context.cluster}" of context "${args.kubecontext}" does not exist`,
      false,
    );
  try {
    const res = await fetch(`${cluster.cluster.server}/health`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
  } catch (e) {
    throw new CliError(
      `failed to reach cluster "${ctx.context.cluster}" (${cluster.cluster.server}): ${(e as Error).message}`,
      false,
    );
  }

  const value = renderLockValue(SANDBOX_GLOO_LOCK.valueFormat, {
    id: ctx.context.cluster,
    glooClusterName: args['mgmt-cluster-name'],
  });
  const { host, port } = splitHostPort(args['redis-address']);
  const { Redis } = await import('ioredis');
  const redis = new Redis({
    host,
    port,
    lazyConnect: true,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const [outcome, epoch] = (await redis.eval(
      SWITCH_ACTIVE_SCRIPT,
      2,
      SANDBOX_GLOO_LOCK.key,
      SANDBOX_GLOO_LOCK.epochKey,
      value,
    )) as [string, string];
    process.stdout.write(
      outcome === 'already'
        ? `management cluster ${args['mgmt-cluster-name']} (context ${args.kubecontext}) is already active (epoch ${epoch})\n`
        : `switched the active management server to ${args['mgmt-cluster-name']} (context ${args.kubecontext}), epoch ${epoch}\n`,
    );
    return 0;
  } catch (e) {
    throw new CliError(
      `failed to switch the active management server at ${args['redis-address']}: ${(e as Error).message}`,
      false,
    );
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e instanceof CliError ? e : new CliError((e as Error).message, false);
    process.stderr.write(`Error: ${err.message}\n`);
    if (err.usage) process.stderr.write(`${USAGE}\n`);
    process.exitCode = 1;
  },
);
