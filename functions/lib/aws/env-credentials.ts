/**
 * The credential provider of the deployed bundles: the Lambda execution role's credentials from the
 * environment, and nothing else. The bundler (infra/aws/lib/bundling.ts, `alias`) puts this module in
 * place of `@aws-sdk/credential-provider-node` (the SDK's default chain: environment, SSO, INI
 * profiles, process, web identity, container and instance metadata, with their STS/SSO clients),
 * which every client's runtime config and our own SigV4 signers import.
 *
 * Why it is enough on Lambda: the runtime sets `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
 * `AWS_SESSION_TOKEN` to the execution role's credentials (Lambda Developer Guide, "Defined runtime
 * environment variables"), and the environment is the first provider of the default chain anyway
 * (AWS SDK for JavaScript v3 Developer Guide, "Set credentials in Node.js": the chain's order). What
 * it costs: about 100 KB and 20-40 ms of cold import per function (bench/bundles.ts). What it gives
 * up: any other source of credentials inside the deployed functions; tests and the sandbox run the
 * source, unbundled, with the SDK's full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/** Options the SDK passes to its default provider (a logger and a profile); only the logger is used. */
export type DefaultProviderInit = Parameters<typeof fromEnv>[0] & Record<string, unknown>;

/**
 * `@aws-sdk/credential-provider-node`'s `defaultProvider`, narrowed to the environment: throws the
 * SDK's `CredentialsProviderError` naming the variables when they are not set.
 */
export const defaultProvider = (init: DefaultProviderInit = {}): AwsCredentialIdentityProvider =>
  fromEnv(init);
