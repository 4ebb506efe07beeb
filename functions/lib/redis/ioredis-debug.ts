/**
 * The `debug` package of the deployed bundles: the bundler (infra/aws/lib/bundling.ts, `alias`) puts
 * this module in its place. Its only user in a bundle is ioredis (`utils/debug.js`: one debug
 * function per namespace, asked for `enabled` before every message), and in a Lambda `DEBUG` is
 * unset, so the package's 7 KB (colour tables, terminal detection, `humanize`) never print anything.
 *
 * What stays: `DEBUG` turns ioredis's output on exactly as the package reads it (debug 4.x
 * `enable`/`enabled`: names separated by commas or spaces, `*` matches any run of characters, a
 * leading `-` excludes), and each message goes to stderr as the package writes it without a
 * terminal: ISO date, namespace, `util.format` of the arguments. test/unit/ioredis-debug.test.ts
 * checks the selection against the package itself. What is given up: colours, `+Nms` deltas and
 * `DEBUG_*` inspect options. Tests and the sandbox run the source, unbundled, with the package.
 */
import { format } from 'node:util';

/** A debug function of one namespace, shaped as the package's (ioredis reads `enabled`, `namespace`, `log`). */
export interface DebugFunction {
  (...args: unknown[]): void;
  namespace: string;
  enabled: boolean;
  log: (...args: unknown[]) => void;
  destroy: () => boolean;
}

const wildcard = (template: string) =>
  new RegExp(`^${template.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

/** Whether `namespace` is selected by a `DEBUG` value, as debug 4.x decides it. */
export function debugEnabled(namespace: string, setting: string | undefined): boolean {
  const parts = (setting ?? '').trim().replace(/\s+/g, ',').split(',').filter(Boolean);
  const skips = parts.filter((p) => p.startsWith('-')).map((p) => wildcard(p.slice(1)));
  const names = parts.filter((p) => !p.startsWith('-')).map(wildcard);
  if (skips.some((s) => s.test(namespace))) return false;
  return names.some((n) => n.test(namespace));
}

/** `debug(namespace)`: `DEBUG` is read when the function is made, as the package reads it at load. */
export default function createDebug(namespace: string): DebugFunction {
  const fn = ((...args: unknown[]) => {
    if (!fn.enabled) return;
    fn.log(`${new Date().toISOString()} ${namespace} ${format(...args)}`);
  }) as DebugFunction;
  fn.namespace = namespace;
  fn.enabled = debugEnabled(namespace, process.env.DEBUG);
  fn.log = (...args: unknown[]) => process.stderr.write(`${format(...args)}\n`);
  fn.destroy = () => true;
  return fn;
}
