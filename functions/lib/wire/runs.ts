/** Other runs in progress: executions of this region's state machines (`STATE_MACHINE_ARNS`). */
import { ownRegion } from '../aws/clients/defaults.ts';
import { sfnClientFor } from '../aws/clients/sfn.ts';
import { SfnRunRegistry } from '../aws/sfn-runs.ts';
import type { Ports } from '../wiring.ts';

/** The run registry over Step Functions `ListExecutions`. */
export function runRegistryPort(): Ports['runs'] {
  return new SfnRunRegistry(
    sfnClientFor(ownRegion()),
    (process.env.STATE_MACHINE_ARNS ?? '').split(',').filter(Boolean),
  );
}
