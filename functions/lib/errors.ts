/**
 * Named errors. Step Functions routes on an error's `name` (Retry/Catch `ErrorEquals`), so every
 * `name` here is part of the workflow contract: rename one only together with workflows/.
 */

/** Details attached to an error; serialised into the Step Functions `Cause`. */
export type ErrorDetails = Record<string, unknown>;

/** Base class: a stable `name` and structured `details` that survive JSON serialisation. */
export class FailoverError extends Error {
  readonly details: ErrorDetails;
  constructor(name: string, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = name;
    this.details = details;
  }
  /** The shape Lambda puts into `Cause` (errorType/errorMessage) plus our details. */
  toJSON(): { name: string; message: string; details: ErrorDetails } {
    return { name: this.name, message: this.message, details: this.details };
  }
}

function named(name: string) {
  return class extends FailoverError {
    static readonly errorName = name;
    constructor(message: string, details: ErrorDetails = {}) {
      super(name, message, details);
    }
  };
}

/** Input (execution input, handler payload, topology file) failed validation; nothing changed. */
export const InvalidInput = named('InvalidInput');
/** The topology file is invalid; nothing starts. */
export const InvalidTopology = named('InvalidTopology');
/** The quorum of signals did not confirm the source outage; nothing changed. */
export const OutageNotConfirmed = named('OutageNotConfirmed');
/** The quorum of signals did not confirm the original region is healthy again (failback). */
export const RecoveryNotConfirmed = named('RecoveryNotConfirmed');
/** The target is not ready to take over (server unhealthy, Redis unreachable or lagging). */
export const TargetNotReady = named('TargetNotReady');
/** Another run for the same management plane is in progress. */
export const RunInProgress = named('RunInProgress');
/** The global lock is held by a cluster other than the expected one. */
export const LockHeldByOther = named('LockHeldByOther');
/** The DNS record changed under us (compare-and-swap failed); nothing was overwritten. */
export const DnsChangeConflict = named('DnsChangeConflict');
/** The DNS record does not have the shape we expect (missing, several values, unknown value). */
export const DnsRecordUnexpected = named('DnsRecordUnexpected');
/** The DNS switch refused the change (e.g. an ARC safety rule blocked it); never overridden automatically. */
export const DnsSwitchRefused = named('DnsSwitchRefused');
/** Redis promotion did not complete in time. */
export const PromotionTimeout = named('PromotionTimeout');
/** Redis promotion was refused or failed. */
export const PromotionFailed = named('PromotionFailed');
/** Not enough expected agents reconnected before the timeout. */
export const ReconnectIncomplete = named('ReconnectIncomplete');
/** An approver rejected the step. */
export const ApprovalRejected = named('ApprovalRejected');
/** The approval was not answered in time (and the policy says reject). */
export const ApprovalTimedOut = named('ApprovalTimedOut');
/** A transient dependency failure worth retrying (network blip, throttling surfaced by an adapter). */
export const TransientError = named('TransientError');
/** Re-protection of the shared Redis cannot go on (the survivor is not primary, a member holds its own data...). */
export const ReprotectFailed = named('ReprotectFailed');
/** The lock adapter's command failed (non-zero exit, killed at its timeout, not found). */
export const LockSwitchFailed = named('LockSwitchFailed');

/** Every error name the workflows may route on. */
export const ERROR_NAMES = [
  'InvalidInput',
  'InvalidTopology',
  'OutageNotConfirmed',
  'RecoveryNotConfirmed',
  'TargetNotReady',
  'RunInProgress',
  'LockHeldByOther',
  'DnsChangeConflict',
  'DnsRecordUnexpected',
  'DnsSwitchRefused',
  'PromotionTimeout',
  'PromotionFailed',
  'ReconnectIncomplete',
  'ApprovalRejected',
  'ApprovalTimedOut',
  'TransientError',
  'ReprotectFailed',
  'LockSwitchFailed',
] as const;

/** A name from {@link ERROR_NAMES}. */
export type ErrorName = (typeof ERROR_NAMES)[number];

/** True when `err` is a {@link FailoverError} with the given name. */
export function isNamed(err: unknown, name: ErrorName): err is FailoverError {
  return err instanceof FailoverError && err.name === name;
}
