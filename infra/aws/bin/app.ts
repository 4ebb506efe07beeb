/**
 * CDK entry point (`npx cdk synth` in infra/aws). Context: `-c topology=<file>` (default
 * infra/topology.example.json) and `-c deploy=<file>` (default infra/aws/deploy.example.json).
 */
import { App } from 'aws-cdk-lib';
import { buildApp, inputsFromContext } from '../lib/app.ts';

const app = new App();
buildApp(app, inputsFromContext(app));
