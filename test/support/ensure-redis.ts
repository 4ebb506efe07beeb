/**
 * Makes sure `redis-server` (tests and the sandbox start their own servers) and `openssl` (the
 * sandbox generates its relay TLS certificates with it) are installed. Installs Debian's packages
 * when missing and running as root; otherwise says what to do.
 */
import { execFileSync, spawnSync } from 'node:child_process';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const missing = ['redis-server', 'openssl'].filter((cmd) => !has(cmd));
if (missing.length) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    console.error(
      `${missing.join(' and ')} missing: installing Debian package(s) ${missing.join(' ')} (apt-get) ...`,
    );
    execFileSync(
      'sh',
      [
        '-c',
        `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')} >/dev/null`,
      ],
      {
        stdio: 'inherit',
      },
    );
  } else {
    console.error(
      `${missing.join(' and ')} not installed, and this process cannot install it (needs root and apt-get).\n` +
        `Install, then run the command again:  sudo apt-get install -y ${missing.join(' ')}  (or: brew install redis openssl)`,
    );
    process.exit(1);
  }
}
