/**
 * How a run can end. The workflow's terminal states carry these names and the report explains
 * them; keeping one list here keeps the two in step.
 */

/** Outcomes that need no repair: the run ends in a Succeed state. */
export const SUCCEED_OUTCOMES = [
  'FailedOver',
  'AlreadyActive',
  'DryRunComplete',
  'OutageNotConfirmed',
  'RecoveryNotConfirmed',
  'Rejected',
] as const;
/** Outcomes an operator must look at: the run ends in a Fail state with the outcome as its Error. */
export const FAIL_OUTCOMES = [
  'InvalidInput',
  'TargetNotReady',
  'DnsChangeFailed',
  'PromotionFailed',
  'HaltedAfterPromotion',
  'ReconnectIncomplete',
] as const;
/** Every outcome. */
export const OUTCOMES = [...SUCCEED_OUTCOMES, ...FAIL_OUTCOMES] as const;
/** An outcome name. */
export type Outcome = (typeof OUTCOMES)[number];
/** Outcomes after which nothing was changed. */
export const NOTHING_CHANGED: readonly Outcome[] = [
  'AlreadyActive',
  'DryRunComplete',
  'OutageNotConfirmed',
  'RecoveryNotConfirmed',
  'Rejected',
  'TargetNotReady',
  'InvalidInput',
];
