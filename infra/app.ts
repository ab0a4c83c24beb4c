import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatchlaneStack } from './BatchlaneStack.js';
import { stackPropsFromContext } from './stackPropsFromContext.js';

const app = new App();

// The only place that reads the process environment: the CLI's target account and region.
// Unset, the stack stays environment-agnostic and synthesizes offline.
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

const stackName: unknown = app.node.tryGetContext('stackName');

new BatchlaneStack(app, typeof stackName === 'string' ? stackName : 'Batchlane', {
  ...stackPropsFromContext(app.node),
  env: account !== undefined && region !== undefined ? { account, region } : undefined,
  description: 'batchlane: orchestrates LLM provider batch APIs (Anthropic, OpenAI)',
});

// Synth fails on any AwsSolutions finding not acknowledged next to its resource.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

app.synth();
