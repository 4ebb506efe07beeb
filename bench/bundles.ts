/**
 * Bundle benchmark: builds every Lambda exactly as the CDK app does (infra/aws/lib/bundling.ts),
 * once with the AWS SDK bundled and once with it left to the runtime, and measures each bundle's
 * size and its cold import time: the median over several fresh `node` processes, each importing the
 * bundle once (module graph load, parse, top-level code), and the whole process's wall time minus a
 * bare `node` start measured in the same run. With the SDK left out, the import resolves
 * `@aws-sdk/*` from node_modules (CommonJS, as the runtime's copy is). It also checks, per function,
 * which packages are inside ({@link EXPECTED_PACKAGES}) and that none holds classic zod or a zod
 * locale other than English ({@link FORBIDDEN_MODULES}).
 *
 * Standalone: `npx node bench/bundles.ts` prints a table (`BENCH_RUNS=3` for a quicker run).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { DEPLOYED_SDK_MODE, esbuildOptions, type SdkMode } from '../infra/aws/lib/bundling.ts';
import { entryOf, FUNCTION_KEYS, type FunctionKey, REPO_ROOT } from '../infra/aws/lib/functions.ts';

const run = promisify(execFile);

/** A way of bundling: the SDK mode. */
export interface BundleVariant {
  mode: SdkMode;
}

/** The variant's short name (`bundled`, `runtime`). */
export const variantName = (v: BundleVariant) => v.mode;

/**
 * Packages whose presence the bench checks: every AWS SDK client (and the DynamoDB document
 * layer), ioredis, the Slack Web API. The shared runtime (zod, Powertools, middy, the SDK core) is
 * in every bundle and is not listed.
 */
export function watchedPackage(pkg: string): boolean {
  return (
    /^@aws-sdk\/(client-|lib-dynamodb$|s3-request-presigner$)/.test(pkg) ||
    ['ioredis', '@slack/web-api'].includes(pkg)
  );
}

/**
 * Per function, exactly the watched packages its bundle holds: what its ports need and nothing else
 * (each handler builds only its own ports). A watched package not listed must be absent.
 */
export const EXPECTED_PACKAGES: Record<FunctionKey, readonly string[]> = {
  // Reads everything: other runs (Step Functions), last-seen clusters (DynamoDB), Redis roles and
  // lock (ioredis; ElastiCache; Redis AUTH from Secrets Manager; the re-protected datastore's record
  // from SSM, as every step that reaches Redis), the DNS switch of any mode (the Route 53 record,
  // ARC routing controls, or CloudWatch out-of-service alarms).
  preflight: [
    '@aws-sdk/client-cloudwatch',
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/client-elasticache',
    '@aws-sdk/client-route-53',
    '@aws-sdk/client-route53-recovery-cluster',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/client-sfn',
    '@aws-sdk/client-ssm',
    '@aws-sdk/lib-dynamodb',
    'ioredis',
  ],
  // The quorum: probes (no package), CloudWatch alarm states and Route 53 health-check metrics.
  verifyOutage: ['@aws-sdk/client-cloudwatch'],
  verifyRecovered: ['@aws-sdk/client-cloudwatch'],
  // Global Datastore failover (ElastiCache) or REPLICAOF, write probe over ioredis with AUTH.
  promoteRedis: [
    '@aws-sdk/client-elasticache',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/client-ssm',
    'ioredis',
  ],
  // The lock on Redis only (AUTH from Secrets Manager).
  switchLock: ['@aws-sdk/client-secrets-manager', '@aws-sdk/client-ssm', 'ioredis'],
  // The DNS switch of any mode: Route 53 record, ARC routing controls, CloudWatch out-of-service marks.
  repointDns: [
    '@aws-sdk/client-cloudwatch',
    '@aws-sdk/client-route-53',
    '@aws-sdk/client-route53-recovery-cluster',
  ],
  // The target's agent gauges: its pods over fetch, or its Prometheus (auth from Secrets Manager,
  // or SigV4 with the function's credentials); no Redis. The run's expected clusters from the
  // clusters table (DynamoDB).
  confirmReconnect: ['@aws-sdk/client-dynamodb', '@aws-sdk/client-secrets-manager', '@aws-sdk/lib-dynamodb'],
  // Reads the world after the run (Redis, lock, DNS), stores the page in S3 with a presigned link,
  // publishes to SNS and posts the link to Slack (bot token from Secrets Manager).
  report: [
    '@aws-sdk/client-cloudwatch',
    '@aws-sdk/client-elasticache',
    '@aws-sdk/client-route-53',
    '@aws-sdk/client-route53-recovery-cluster',
    '@aws-sdk/client-s3',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/client-sns',
    '@aws-sdk/client-ssm',
    '@aws-sdk/s3-request-presigner',
    '@slack/web-api',
    'ioredis',
  ],
  requestApproval: [
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/lib-dynamodb',
    '@slack/web-api',
  ],
  slackCallback: [
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/client-sfn',
    '@aws-sdk/lib-dynamodb',
    '@slack/web-api',
  ],
  trigger: ['@aws-sdk/client-sfn'],
  // Preflight's reads, plus secrets readable, alarms, Slack auth.test, metrics and the event.
  readiness: [
    '@aws-sdk/client-cloudwatch',
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/client-elasticache',
    '@aws-sdk/client-eventbridge',
    '@aws-sdk/client-route-53',
    '@aws-sdk/client-route53-recovery-cluster',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/client-sfn',
    '@aws-sdk/client-ssm',
    '@aws-sdk/lib-dynamodb',
    '@slack/web-api',
    'ioredis',
  ],
  // Probes, CloudWatch metrics, the clusters table, and the fencing pass on Redis.
  healthProbe: [
    '@aws-sdk/client-cloudwatch',
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/client-elasticache',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/client-ssm',
    '@aws-sdk/lib-dynamodb',
    'ioredis',
  ],
  // Re-protection: ElastiCache (create/delete), the datastore record (SSM), REPLICAOF over ioredis with AUTH.
  reprotect: [
    '@aws-sdk/client-elasticache',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/client-ssm',
    'ioredis',
  ],
};

/** Bytes of each npm package in a bundle (`project` for the repository's own files), from esbuild's metafile. */
export function packagesOf(metafile: Metafile): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of Object.values(metafile.outputs))
    for (const [file, i] of Object.entries(o.inputs)) {
      const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
      const key = m ? m[1]! : 'project';
      out[key] = (out[key] ?? 0) + i.bytesInOutput;
    }
  return out;
}

/**
 * Packages no deployed bundle may hold: the SDK's default credential chain (replaced by the
 * environment provider at bundle time, infra/aws/lib/bundling.ts `BUNDLE_ALIASES`) with the STS/SSO
 * clients it carries, the X-Ray SDK that the Powertools Tracer would load (not used: Lambda
 * active tracing records the invocations; functions/lib/powertools.ts), and the `debug` package
 * (replaced by functions/lib/redis/ioredis-debug.ts, which keeps `DEBUG` working for ioredis).
 */
export const FORBIDDEN_PACKAGES = [
  '@aws-sdk/credential-provider-node',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/nested-clients',
  '@aws-lambda-powertools/tracer',
  'aws-xray-sdk-core',
  'debug',
] as const;

/**
 * Modules no deployed bundle may hold, with why: the functions use `zod/mini` through
 * functions/lib/z.ts (classic zod would add its method API and JSON Schema converter, about 100 KiB,
 * to every bundle), and load only zod's English messages (`z.locales` would add every language).
 */
export const FORBIDDEN_MODULES: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /node_modules\/zod\/v4\/classic\//, what: 'zod/v4/classic (use zod/mini via #lib/z.ts)' },
  // index.js is the locales' barrel (a few bytes of namespace); each language is its own file.
  {
    pattern: /node_modules\/zod\/v4\/locales\/(?!en\.js$|index\.js$)/,
    what: 'a zod locale other than English',
  },
];

/**
 * The files that put code into a bundle, from esbuild's metafile (paths relative to the repository;
 * files tree-shaken to nothing, such as a barrel that only re-exports, are left out).
 */
export function inputsOf(metafile: Metafile): string[] {
  const files = Object.values(metafile.outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([f]) => f),
  );
  return [...new Set(files)];
}

/** Which {@link FORBIDDEN_MODULES} a bundle's files include (empty: none). */
export function moduleProblems(inputs: readonly string[]): string[] {
  return FORBIDDEN_MODULES.flatMap(({ pattern, what }) => {
    const hits = inputs.filter((f) => pattern.test(f));
    return hits.length ? [`${what} should not be inside (${hits.slice(0, 3).join(', ')})`] : [];
  });
}

/** How a bundle's watched packages differ from {@link EXPECTED_PACKAGES} (empty: as expected). */
export function packageProblems(fn: FunctionKey, packages: Record<string, number>): string[] {
  const inside = Object.keys(packages).filter(watchedPackage);
  const expected = EXPECTED_PACKAGES[fn];
  return [
    ...expected.filter((p) => !inside.includes(p)).map((p) => `${p} missing`),
    ...inside.filter((p) => !expected.includes(p)).map((p) => `${p} should not be inside`),
    ...FORBIDDEN_PACKAGES.filter((p) => p in packages).map((p) => `${p} should not be inside`),
  ];
}

/** Size and import time of one function's bundle in one variant. */
export interface BundleRow {
  fn: FunctionKey;
  /** The variant's name. */
  variant: string;
  mode: SdkMode;
  bytes: number;
  /** Median cold import time in ms (wall clock). */
  importMs: number;
  /**
   * Median CPU time of the import in ms (user + system, all threads): unlike the wall clock it does
   * not grow when other processes share the cores, so it is the steadier figure on a busy machine.
   */
  importCpuMs: number;
  /** Every run's import time in ms (wall clock). */
  runsMs: number[];
  /**
   * Median wall time of a whole fresh process that imports the bundle, minus the median of a bare
   * `node` start measured in the same run (the issue's method).
   */
  processMinusBareMs: number;
  /** The watched packages inside (see {@link EXPECTED_PACKAGES}). */
  packages: string[];
  /** Differences with {@link EXPECTED_PACKAGES}, and any of the {@link FORBIDDEN_MODULES} inside. */
  packageProblems: string[];
  /** Why the bundle could not be built or imported (then `importMs` is NaN). */
  error?: string;
}

/** Results and the targets they are held to. */
export interface BundleBench {
  rows: BundleRow[];
  limits: { bytes: number; importMs: number };
  /** Median wall time of a bare `node` process start in this run (ms). */
  bareNodeMs: number;
  /** Flat keys for bench reports: `bundles.<variant>.<fn>.bytes` and `bundles.<variant>.<fn>.import_ms`. */
  flat: Record<string, number>;
  /** Rows of the deployed variant over a limit, with unexpected packages, or that failed. */
  overLimit: BundleRow[];
}

/** Options of {@link benchBundles}. */
export interface BundleBenchOptions {
  functions?: readonly FunctionKey[];
  variants?: readonly BundleVariant[];
  /** Fresh processes per bundle (the median is reported). */
  runs?: number;
}

/** Where bundles are written: inside node_modules, so that bare `@aws-sdk/*` imports resolve. */
const OUT_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'gloo-failover-bundles');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Builds one bundle; returns its path, the bytes of each package inside and its files. */
export async function buildBundleWithContents(
  fn: FunctionKey,
  variant: BundleVariant = { mode: DEPLOYED_SDK_MODE },
  outDir = OUT_DIR,
): Promise<{ file: string; packages: Record<string, number>; inputs: string[] }> {
  const outfile = join(outDir, variantName(variant), fn, 'index.mjs');
  const options = esbuildOptions(entryOf(fn), outfile, variant.mode);
  const r = await build(options);
  return { file: outfile, packages: packagesOf(r.metafile!), inputs: inputsOf(r.metafile!) };
}

/** Builds one bundle; returns its path. */
export async function buildBundle(
  fn: FunctionKey,
  variant: BundleVariant = { mode: DEPLOYED_SDK_MODE },
  outDir = OUT_DIR,
): Promise<string> {
  return (await buildBundleWithContents(fn, variant, outDir)).file;
}

const LAMBDA_LIKE_ENV = () => ({
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  NODE_ENV: 'production',
});

/** Wall time of a whole fresh `node` process running `script` (ms), as its parent sees it. */
async function processMs(script: string): Promise<number> {
  const t = performance.now();
  await run(process.execPath, ['--input-type=module', '-e', script], {
    env: LAMBDA_LIKE_ENV(),
    cwd: REPO_ROOT,
  });
  return performance.now() - t;
}

/** Imports `file` in a fresh Node process and returns the import's wall-clock and CPU time in ms. */
export async function coldImport(file: string): Promise<{ wallMs: number; cpuMs: number }> {
  const script = `const c=process.cpuUsage();const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});const w=performance.now()-t;const u=process.cpuUsage(c);process.stdout.write(w+' '+(u.user+u.system)/1000);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    // A Lambda-like environment: a region, no credentials, no topology (nothing is read at import).
    env: LAMBDA_LIKE_ENV(),
    cwd: REPO_ROOT,
  });
  const [wallMs, cpuMs] = stdout.split(' ').map(Number);
  return { wallMs: wallMs!, cpuMs: cpuMs! };
}

/** Builds and measures every function's bundle in each SDK mode. */
export async function benchBundles(opts: BundleBenchOptions = {}): Promise<BundleBench> {
  const functions = opts.functions ?? FUNCTION_KEYS;
  const variants = opts.variants ?? [{ mode: 'bundled' }, { mode: 'runtime' }];
  const runs = opts.runs ?? 7;
  const limits = { bytes: 600_000, importMs: 150 };
  await rm(OUT_DIR, { recursive: true, force: true });
  await mkdir(OUT_DIR, { recursive: true });
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) bare.push(await processMs(''));
  const bareNodeMs = median(bare);
  const rows: BundleRow[] = [];
  for (const v of variants)
    for (const fn of functions) {
      const { mode } = v;
      const variant = variantName(v);
      let bytes = Number.NaN;
      const runsMs: number[] = [];
      const cpuMs: number[] = [];
      const procMs: number[] = [];
      let packages: Record<string, number> = {};
      let inputs: string[] = [];
      try {
        const built = await buildBundleWithContents(fn, v);
        const { file } = built;
        packages = built.packages;
        inputs = built.inputs;
        bytes = (await stat(file)).size;
        const importOnly = `await import(${JSON.stringify(pathToFileURL(file).href)});`;
        // Processes run one after another: concurrent ones would measure the machine, not the bundle.
        for (let i = 0; i < runs; i++) {
          const r = await coldImport(file);
          runsMs.push(r.wallMs);
          cpuMs.push(r.cpuMs);
          procMs.push(await processMs(importOnly));
        }
        const round = (x: number) => Math.round(x * 10) / 10;
        rows.push({
          fn,
          variant,
          mode,
          bytes,
          importMs: round(median(runsMs)),
          importCpuMs: round(median(cpuMs)),
          runsMs,
          processMinusBareMs: round(median(procMs) - bareNodeMs),
          packages: Object.keys(packages).filter(watchedPackage).sort(),
          packageProblems:
            mode === 'bundled' ? [...packageProblems(fn, packages), ...moduleProblems(inputs)] : [],
        });
      } catch (e) {
        const err = e as Error & { stderr?: string };
        const why = (err.stderr ?? '').split('\n').find((l) => /Error/.test(l)) ?? err.message.split('\n')[0];
        rows.push({
          fn,
          variant,
          mode,
          bytes,
          importMs: Number.NaN,
          importCpuMs: Number.NaN,
          runsMs,
          processMinusBareMs: Number.NaN,
          packages: [],
          packageProblems: [],
          error: why!.slice(0, 200),
        });
      }
    }
  const flat: Record<string, number> = {};
  for (const r of rows) {
    flat[`bundles.${r.variant}.${r.fn}.bytes`] = r.bytes;
    flat[`bundles.${r.variant}.${r.fn}.import_ms`] = r.importMs;
    flat[`bundles.${r.variant}.${r.fn}.import_cpu_ms`] = r.importCpuMs;
    flat[`bundles.${r.variant}.${r.fn}.process_minus_bare_ms`] = r.processMinusBareMs;
  }
  const overLimit = rows.filter(
    (r) =>
      r.variant === DEPLOYED_SDK_MODE &&
      (r.error ||
        r.bytes > limits.bytes ||
        r.processMinusBareMs > limits.importMs ||
        r.packageProblems.length > 0),
  );
  return { rows, limits, bareNodeMs, flat, overLimit };
}

if (import.meta.main) {
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const result = await benchBundles({ runs });
  const byFn = new Map<string, Record<string, string | number>>();
  for (const r of result.rows) {
    const row = byFn.get(r.fn) ?? {};
    row[`${r.variant} KiB`] = Math.round(r.bytes / 102.4) / 10;
    row[`${r.variant} ms`] = r.error
      ? 'error'
      : `${r.processMinusBareMs} (import ${r.importMs}, cpu ${r.importCpuMs})`;
    byFn.set(r.fn, row);
  }
  console.log(
    `Lambda bundles (esbuild ESM, minified, node24; cold import = median of ${runs} fresh node ${process.version} processes; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}). Deployed: SDK ${DEPLOYED_SDK_MODE}.`,
  );
  console.table(Object.fromEntries(byFn));
  console.log(
    `bare node start: ${Math.round(result.bareNodeMs)} ms (ms column: process minus bare node start)`,
  );
  for (const r of result.rows.filter((x) => x.packageProblems.length))
    console.log(`${r.fn} (${r.variant}): ${r.packageProblems.join(', ')}`);
  for (const r of result.rows.filter((x) => x.error)) console.log(`${r.fn} (${r.variant}): ${r.error}`);
  const { bytes, importMs } = result.limits;
  if (result.overLimit.length)
    console.log(
      `over the targets (${bytes / 1e3} KB, ${importMs} ms) or unexpected packages: ${result.overLimit.map((r) => `${r.fn} (${r.error ?? `${r.bytes} B, ${r.processMinusBareMs} ms${r.packageProblems.length ? `, ${r.packageProblems.join(', ')}` : ''}`})`).join(', ')}`,
    );
  else
    console.log(
      `every deployed bundle is under ${bytes / 1e3} KB, imports in under ${importMs} ms and holds only the packages its ports need`,
    );
}
