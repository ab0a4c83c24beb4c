import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../infra/stackPropsFromContext.js';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import { PUSH_ENV } from '../../shared/config/pushConfig.js';
import {
  environmentOf,
  logicalIdOf,
  policiesOf,
  policyStatementsOf,
  synthBatchlane,
} from './synthBatchlane.js';

/** Every action a role's policies allow, flattened. */
const actionsOf = (template: Template, roleId: string): string[] =>
  policyStatementsOf(template, roleId).flatMap((statement) => [statement.Action].flat());

describe('the webhook receiver in the stack', () => {
  it('is a public function URL verified by signature, with a bounded concurrency', () => {
    const { stack, template } = synthBatchlane({ enabledProviders: ['openai', 'gemini'] });
    const receiver = stack.webhookReceiver;
    expect(receiver?.providers).toEqual(['openai', 'gemini']);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      InvokeMode: 'BUFFERED',
    });
    const functionId = logicalIdOf(stack, receiver!.function.function);
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 5,
    });
    const environment = environmentOf(template, functionId);
    expect(Object.keys(environment)).toEqual(
      expect.arrayContaining([PUSH_ENV.secretArns, ENV.tableName, ENV.completionQueueUrl]),
    );
    const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'openaiWebhookUrl',
        'geminiWebhookUrl',
        'openaiWebhookSecretArn',
        'geminiWebhookSecretArn',
      ]),
    );
  });

  it('grants only what it calls: batch reads, its own items, the secrets, the queue', () => {
    const { stack, template } = synthBatchlane({ enabledProviders: ['openai'] });
    const roleId = logicalIdOf(stack, stack.webhookReceiver!.function.role);
    const actions = actionsOf(template, roleId);
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
        'sqs:SendMessage',
        'secretsmanager:GetSecretValue',
      ]),
    );
    for (const broad of [
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      's3:GetObject',
      'events:PutEvents',
    ]) {
      expect(actions).not.toContain(broad);
    }
  });

  it("reads only the webhook providers' API keys: never Anthropic's, Mistral's or DeepSeek's", () => {
    const { stack, template } = synthBatchlane({
      enabledProviders: ['anthropic', 'openai', 'gemini', 'mistral', 'deepseek'],
    });
    const receiver = stack.webhookReceiver!;
    const roleId = logicalIdOf(stack, receiver.function.role);
    const secretIdOf = (provider: 'anthropic' | 'openai' | 'gemini' | 'mistral' | 'deepseek') =>
      logicalIdOf(stack, stack.providerSecrets.secretFor(provider)!);
    const policies = JSON.stringify(policiesOf(template, roleId));
    for (const provider of ['openai', 'gemini'] as const) {
      expect(policies, provider).toContain(secretIdOf(provider));
    }
    for (const provider of ['anthropic', 'mistral', 'deepseek'] as const) {
      expect(policies, provider).not.toContain(secretIdOf(provider));
    }
    // Nor named in its configuration: its runtime builds the webhook providers alone.
    const environment = environmentOf(template, logicalIdOf(stack, receiver.function.function));
    expect(environment[ENV.enabledProviders]).toBe('openai,gemini');
    expect(Object.keys(environment)).toEqual(
      expect.arrayContaining([ENV.openaiSecretArn, ENV.geminiSecretArn]),
    );
    for (const name of [ENV.anthropicSecretArn, ENV.mistralSecretArn, ENV.deepseekSecretArn]) {
      expect(environment).not.toHaveProperty(name);
    }
    // Every other function still reads the keys of every enabled provider.
    const completionRole = logicalIdOf(stack, stack.completion.function.role);
    const completionPolicies = JSON.stringify(policiesOf(template, completionRole));
    expect(completionPolicies).toContain(secretIdOf('anthropic'));
  });

  it('uses existing webhook secrets by ARN instead of creating them', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:openai-hook-AbCdEf';
    const { stack, template } = synthBatchlane({
      enabledProviders: ['openai'],
      openaiWebhookSecretArn: arn,
    });
    expect(stack.webhookReceiver?.createdFor).toEqual([]);
    const environment = environmentOf(
      template,
      logicalIdOf(stack, stack.webhookReceiver!.function.function),
    );
    expect(JSON.parse(environment[PUSH_ENV.secretArns] as string)).toEqual({ openai: arn });
  });

  it('is left out when no provider that sends webhooks is enabled, or when turned off', () => {
    expect(
      synthBatchlane({ enabledProviders: ['anthropic'] }).stack.webhookReceiver,
    ).toBeUndefined();
    expect(synthBatchlane({ webhookReceiver: false }).stack.webhookReceiver).toBeUndefined();
    const node = new App({ context: { webhookReceiver: 'false' } }).node;
    expect(stackPropsFromContext(node)).toMatchObject({ webhookReceiver: false });
  });

  it('passes cdk-nag with both webhook providers', () => {
    const { stack } = synthBatchlane({ enabledProviders: ['openai', 'gemini', 'anthropic'] });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});
