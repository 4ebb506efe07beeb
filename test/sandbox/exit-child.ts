/**
 * Child process for the exit test: starts a sandbox, prints its Redis pids, then ends the way
 * the parent asks (`exit`, a signal it sends itself, or `wait` for the parent to kill it) without
 * calling `stop()`.
 */
import { startSandbox } from '#local/sandbox/index.ts';

const how = process.argv[2] ?? 'exit';
const sb = await startSandbox({ agents: 2 });
console.log(JSON.stringify(sb.regionNames.map((r) => sb.regions[r].redis.pid)));
if (how === 'wait')
  setInterval(() => {}, 60_000); // until the parent kills it
else if (how === 'exit') process.exit(3);
else process.kill(process.pid, how as NodeJS.Signals);
