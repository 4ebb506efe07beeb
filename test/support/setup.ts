// Shared test setup: matchers for aws-sdk-client-mock.
import 'aws-sdk-client-mock-vitest/extend';
