/**
 * Makes sure `redis-server` is installed (tests and the sandbox start their own servers).
 * Installs Debian's package when missing and running as root; otherwise says what to do.
 */
import { execFileSync, spawnSync } from 'node:child_process';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

if (!has('redis-server')) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    console.error('redis-server is missing: installing Debian package redis-server (apt-get) ...');
    execFileSync(
      'sh',
      [
        '-c',
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null',
      ],
      {
        stdio: 'inherit',
      },
    );
  } else {
    console.error(
      'redis-server is not installed, and this process cannot install it (needs root and apt-get).\n' +
        'Install it, then run the command again:  sudo apt-get install -y redis-server  (or: brew install redis)',
    );
    process.exit(1);
  }
}
