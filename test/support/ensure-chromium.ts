/**
 * Makes sure Debian's `chromium` is installed (the report-page test drives it headless through
 * playwright-core with the system executable). Installs the package when missing and running as
 * root; otherwise says what to do. Same policy as ensure-redis.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';

/** Where the system Chromium is, or null (`CHROMIUM_PATH` overrides the lookup). */
export function chromiumPath(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const cmd of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

/** Installs chromium when missing and possible; returns its path, or exits with a clear message. */
export function ensureChromium(): string {
  const found = chromiumPath();
  if (found) return found;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const aptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (root && aptGet) {
    console.error('chromium is missing: installing Debian package chromium (apt-get) ...');
    execFileSync(
      'sh',
      [
        '-c',
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null',
      ],
      { stdio: 'inherit' },
    );
    const installed = chromiumPath();
    if (installed) return installed;
  }
  console.error(
    'chromium is not installed, and this process cannot install it (needs root and apt-get).\n' +
      'Install it, then run the command again:  sudo apt-get install -y chromium  (or set CHROMIUM_PATH to a Chromium/Chrome binary)',
  );
  process.exit(1);
}

if (import.meta.main) console.log(ensureChromium());
