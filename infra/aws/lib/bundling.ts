/**
 * How every function is bundled (esbuild), in one place: the CDK app passes it to NodejsFunction and
 * bench/bundles.ts builds the very same bundles with the esbuild API to measure them.
 *
 * Measured choice (bench/bundles.ts, see docs/performance.md "Bundling: the measured choice"): the AWS
 * SDK v3 clients are BUNDLED (tree-shaken, minified), not taken from the runtime: bundled imports
 * are faster at cold start (the runtime's CommonJS clients carry every operation) and the SDK version
 * is the one the tests ran against. The SDK's default credential chain is replaced by the
 * environment provider ({@link BUNDLE_ALIASES}).
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** The repository root: esbuild runs from here, so that {@link BUNDLE_ALIASES} resolve. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Whether the AWS SDK is in the bundle or taken from the Lambda runtime. */
export type SdkMode = 'bundled' | 'runtime';

/** The mode deployed. */
export const DEPLOYED_SDK_MODE: SdkMode = 'bundled';

/** Node 24 (the runtime is nodejs24.x). */
export const ESBUILD_TARGET = 'node24';

/**
 * ESM output still meets CommonJS dependencies (ioredis, the X-Ray SDK) that call `require` for
 * Node built-ins: give them one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/** Modules left out of a function's bundle for a mode. */
export function externalsFor(mode: SdkMode): string[] {
  return mode === 'runtime' ? ['@aws-sdk/*', '@smithy/*'] : [];
}

/**
 * Modules replaced at bundle time, as paths relative to the repository root (esbuild `alias`; the
 * CDK app runs esbuild from there). The SDK's default credential chain gives way to the environment
 * provider: Lambda puts the execution role's credentials in the environment (see
 * functions/lib/aws/env-credentials.ts for the sources and what this gives up). ioredis's `debug`
 * package gives way to a module that reads `DEBUG` the same way.
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  '@aws-sdk/credential-provider-node': './functions/lib/aws/env-credentials.ts',
  // ioredis's `debug`: the same DEBUG selection and stderr lines, without the package's terminal
  // colours and timing (functions/lib/redis/ioredis-debug.ts).
  debug: './functions/lib/redis/ioredis-debug.ts',
};

/** The settings shared by NodejsFunction and the esbuild API. */
export const BUNDLE_SETTINGS = {
  format: 'esm',
  platform: 'node',
  target: ESBUILD_TARGET,
  minify: true,
  keepNames: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
} as const;

/** esbuild API options that reproduce NodejsFunction's bundle of a function. */
export function esbuildOptions(entry: string, outfile: string, mode: SdkMode): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: BUNDLE_SETTINGS.format,
    platform: BUNDLE_SETTINGS.platform,
    target: BUNDLE_SETTINGS.target,
    minify: BUNDLE_SETTINGS.minify,
    keepNames: BUNDLE_SETTINGS.keepNames,
    sourcemap: BUNDLE_SETTINGS.sourcemap,
    mainFields: [...BUNDLE_SETTINGS.mainFields],
    banner: { js: BUNDLE_SETTINGS.banner },
    alias: { ...BUNDLE_ALIASES },
    absWorkingDir: REPO_ROOT,
    external: externalsFor(mode),
    metafile: true,
    logLevel: 'warning',
  };
}

/** NodejsFunction's `esbuildArgs` carrying {@link BUNDLE_ALIASES} (`--alias:from=to`). */
export function esbuildArgs(): Record<string, string[]> {
  return { '--alias': Object.entries(BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`) };
}
