import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../infra/stackPropsFromContext.js';
import { ENV, profileEnvNames } from '../../shared/config/BatchlaneConfig.js';
import { loadConfig } from '../../shared/config/loadConfig.js';
import type { ProfileOverride } from '../../shared/contract/providerProfile.js';
import { environmentOf, logicalIdOf, synthBatchlane } from './synthBatchlane.js';

const contextOf = (context: Record<string, unknown>) => new App({ context }).node;

const AZURE: ProfileOverride = {
  id: 'azure-openai',
  baseUrl: 'https://acme.openai.azure.com',
  quirks: { deployments: { 'gpt-4.1-mini': 'gpt41mini-gb' } },
};

describe('context "providerProfiles"', () => {
  it('keeps the changes as written, from JSON text or a list', () => {
    const list = [AZURE, { id: 'groq', window: { request: '7d' } }];
    expect(stackPropsFromContext(contextOf({ providerProfiles: list })).providerProfiles).toEqual(
      list,
    );
    expect(
      stackPropsFromContext(contextOf({ providerProfiles: JSON.stringify(list) })).providerProfiles,
    ).toEqual(list);
  });

  it.each([
    [[{ id: 'fireworks', baseUrl: 'https://x.example' }], /0\.id: id must name a built-in profile/],
    [
      [{ id: 'groq', window: { request: '9d' } }],
      /0\.window\.request: window\.request must be one of/,
    ],
    [[{ id: 'groq', limits: { maxRequests: 1 } }], /0: Unrecognized key: "limits"/],
    [
      [{ id: 'azure-openai', quirks: { apiVersion: null } }],
      /0\.quirks\.apiVersion: an azure profile needs/,
    ],
    [[{ id: 'xai' }, { id: 'xai' }], /1\.id: id "xai" is given twice/],
    ['{nope', /"providerProfiles" is not valid JSON/],
  ])('fails synth naming the entry and field for %j', (value, message) => {
    expect(() => stackPropsFromContext(contextOf({ providerProfiles: value }))).toThrow(message);
  });
});

describe('Stack: provider profiles', () => {
  const { stack, template } = synthBatchlane({
    enabledProviders: ['openai', 'groq', 'azure-openai'],
    providerProfiles: [AZURE],
  });
  const env = environmentOf(template, logicalIdOf(stack, stack.completion.function.function));

  it("gives the functions each enabled profile's secret, and only those", () => {
    expect(String(JSON.stringify(env[profileEnvNames('groq').secretArn]))).toContain(
      'secret:batchlane/groq',
    );
    expect(env[profileEnvNames('azure-openai').secretArn]).toBeDefined();
    expect(env[profileEnvNames('together').secretArn]).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Resource: Match.objectLike({
              'Fn::Join': Match.arrayWith([Match.arrayWith([':secret:batchlane/groq-??????'])]),
            }),
          }),
        ]),
      },
    });
  });

  it('passes the changes to the functions, which apply them at load', () => {
    expect(env[ENV.providerProfiles]).toBe(JSON.stringify([AZURE]));
    const config = loadConfig({
      [ENV.tableName]: 't',
      [ENV.bucketName]: 'b',
      [ENV.eventBusName]: 'e',
      [ENV.completionQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/c',
      [ENV.providerProfiles]: String(env[ENV.providerProfiles]),
    });
    expect(config.profiles?.['azure-openai']).toMatchObject({
      baseUrl: 'https://acme.openai.azure.com',
      quirks: { apiVersion: '2024-10-21', deployments: { 'gpt-4.1-mini': 'gpt41mini-gb' } },
    });
    expect(config.profiles?.['groq']?.window.request).toBe('24h');
  });
});
