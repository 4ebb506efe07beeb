/**
 * Bundle benchmark: builds every Lambda exactly as the CDK app does (infra/aws/lib/bundling.ts),
 * once with the AWS SDK bundled and once with it left to the runtime, and measures each bundle's
 * size and its cold import time: the median over several fresh `node` processes, each importing the
 * bundle once (module graph load, parse, top-level code). With the SDK left out, the import resolves
 * `@aws-sdk/*` from node_modules (CommonJS, as the runtime's copy is). Two what-if variants
 * (`+zodns`) measure the proposed `import * as z from 'zod'` (see bundling.ts); they are not deployed.
 *
 * Standalone: `npx node bench/bundles.ts` prints a table (`BENCH_RUNS=3` for a quicker run).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import {
  DEPLOYED_SDK_MODE,
  esbuildOptions,
  type SdkMode,
  zodNamespaceImports,
} from '../infra/aws/lib/bundling.ts';
import { entryOf, FUNCTION_KEYS, type FunctionKey, REPO_ROOT } from '../infra/aws/lib/functions.ts';

const run = promisify(execFile);

/** A way of bundling: the SDK mode, and whether the zod what-if is applied. */
export interface BundleVariant {
  mode: SdkMode;
  zodNamespace?: boolean;
}

/** The variant's short name (`bundled`, `runtime+zodns`, ...). */
export const variantName = (v: BundleVariant) => `${v.mode}${v.zodNamespace ? '+zodns' : ''}`;

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
  /** Why the bundle could not be built or imported (then `importMs` is NaN). */
  error?: string;
}

/** Results and the targets they are held to. */
export interface BundleBench {
  rows: BundleRow[];
  limits: { bytes: number; importMs: number };
  /** Flat keys for bench reports: `bundles.<variant>.<fn>.bytes` and `bundles.<variant>.<fn>.import_ms`. */
  flat: Record<string, number>;
  /** Rows of the deployed variant over a limit (import judged by CPU time) or that failed. */
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

/** Builds one bundle; returns its path. */
export async function buildBundle(
  fn: FunctionKey,
  variant: BundleVariant = { mode: DEPLOYED_SDK_MODE },
  outDir = OUT_DIR,
): Promise<string> {
  const outfile = join(outDir, variantName(variant), fn, 'index.mjs');
  const options = esbuildOptions(entryOf(fn), outfile, variant.mode);
  await build(variant.zodNamespace ? { ...options, plugins: [zodNamespaceImports] } : options);
  return outfile;
}

/** Imports `file` in a fresh Node process and returns the import's wall-clock and CPU time in ms. */
export async function coldImport(file: string): Promise<{ wallMs: number; cpuMs: number }> {
  const script = `const c=process.cpuUsage();const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});const w=performance.now()-t;const u=process.cpuUsage(c);process.stdout.write(w+' '+(u.user+u.system)/1000);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    // A Lambda-like environment: a region, no credentials, no topology (nothing is read at import).
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', NODE_ENV: 'production' },
    cwd: REPO_ROOT,
  });
  const [wallMs, cpuMs] = stdout.split(' ').map(Number);
  return { wallMs: wallMs!, cpuMs: cpuMs! };
}

/** Builds and measures every function's bundle in each SDK mode. */
export async function benchBundles(opts: BundleBenchOptions = {}): Promise<BundleBench> {
  const functions = opts.functions ?? FUNCTION_KEYS;
  const variants = opts.variants ?? [
    { mode: 'bundled' },
    { mode: 'runtime' },
    { mode: 'bundled', zodNamespace: true },
    { mode: 'runtime', zodNamespace: true },
  ];
  const runs = opts.runs ?? 7;
  const limits = { bytes: 1_000_000, importMs: 150 };
  await rm(OUT_DIR, { recursive: true, force: true });
  await mkdir(OUT_DIR, { recursive: true });
  const rows: BundleRow[] = [];
  for (const v of variants)
    for (const fn of functions) {
      const { mode } = v;
      const variant = variantName(v);
      let bytes = Number.NaN;
      const runsMs: number[] = [];
      const cpuMs: number[] = [];
      try {
        const file = await buildBundle(fn, v);
        bytes = (await stat(file)).size;
        // Processes run one after another: concurrent ones would measure the machine, not the bundle.
        for (let i = 0; i < runs; i++) {
          const r = await coldImport(file);
          runsMs.push(r.wallMs);
          cpuMs.push(r.cpuMs);
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
          error: why!.slice(0, 200),
        });
      }
    }
  const flat: Record<string, number> = {};
  for (const r of rows) {
    flat[`bundles.${r.variant}.${r.fn}.bytes`] = r.bytes;
    flat[`bundles.${r.variant}.${r.fn}.import_ms`] = r.importMs;
    flat[`bundles.${r.variant}.${r.fn}.import_cpu_ms`] = r.importCpuMs;
  }
  const overLimit = rows.filter(
    (r) =>
      r.variant === DEPLOYED_SDK_MODE &&
      (r.error || r.bytes > limits.bytes || r.importCpuMs > limits.importMs),
  );
  return { rows, limits, flat, overLimit };
}

if (import.meta.main) {
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const result = await benchBundles({ runs });
  const byFn = new Map<string, Record<string, string | number>>();
  for (const r of result.rows) {
    const row = byFn.get(r.fn) ?? {};
    row[`${r.variant} KiB`] = Math.round(r.bytes / 102.4) / 10;
    row[`${r.variant} ms`] = r.error ? 'error' : `${r.importMs} (cpu ${r.importCpuMs})`;
    byFn.set(r.fn, row);
  }
  console.log(
    `Lambda bundles (esbuild ESM, minified, node24; cold import = median of ${runs} fresh node ${process.version} processes; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}). Deployed: SDK ${DEPLOYED_SDK_MODE}.`,
  );
  console.table(Object.fromEntries(byFn));
  for (const r of result.rows.filter((x) => x.error)) console.log(`${r.fn} (${r.variant}): ${r.error}`);
  const { bytes, importMs } = result.limits;
  if (result.overLimit.length)
    console.log(
      `over the targets (${bytes / 1e6} MB, ${importMs} ms): ${result.overLimit.map((r) => `${r.fn} (${r.error ?? `${r.bytes} B, cpu ${r.importCpuMs} ms`})`).join(', ')}`,
    );
  else console.log(`every deployed bundle is under ${bytes / 1e6} MB and imports in under ${importMs} ms`);
}
