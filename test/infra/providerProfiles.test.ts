import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../infra/stackPropsFromContext.js';
import { ENV, profileEnvNames } from '../../shared/config/BatchlaneConfig.js';
import { loadConfig } from '../../shared/config/loadConfig.js';
import type {
  ProfileOverride,
  ProviderProfileInput,
} from '../../shared/contract/providerProfile.js';
import { ACME_PROFILE } from '../support/acmeProfile.js';
import {
  environmentOf,
  logicalIdOf,
  policyStatementsOf,
  synthBatchlane,
} from './synthBatchlane.js';

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
    // A new id is a whole profile of the deployment's own: everything a profile says is needed.
    [[{ id: 'fireworks', baseUrl: 'https://x.example' }], /0\.key: /],
    [
      [{ id: 'groq', window: { request: '9d' } }],
      /0\.window\.request: window\.request must be one of/,
    ],
    [
      [{ id: 'groq', limits: { maxRequests: 1 } }],
      /0: "groq" is a built-in profile: its entry may change baseUrl, key, window, quirks only, not limits/,
    ],
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

const withAcme = (acme: Record<string, unknown>, extra: unknown[] = []) => [
  { ...ACME_PROFILE, ...acme },
  ...extra,
];

describe('context "providerProfiles": a profile with an id of its own', () => {
  it('is kept as written, and may be enabled', () => {
    const props = stackPropsFromContext(
      contextOf({ providerProfiles: [ACME_PROFILE, AZURE], enabledProviders: 'openai,acme' }),
    );
    expect(props.providerProfiles).toEqual([ACME_PROFILE, AZURE]);
    expect(props.enabledProviders).toEqual(['openai', 'acme']);
  });

  it.each([
    [
      withAcme({ id: 'openai' }),
      /0\.id: id "openai" names a provider batchlane drives with its own SDK/,
    ],
    [withAcme({ id: 'Acme!' }), /0\.id: id must be 3-32 characters/],
    [withAcme({}, [{ ...ACME_PROFILE }]), /1\.id: id "acme" is given twice/],
    [withAcme({ baseUrl: 'not a url' }), /0\.baseUrl: baseUrl must be an absolute URL/],
    [
      withAcme({ window: { request: '48h', accepted: ['24h'], runsPastHours: null } }),
      /0\.window\.request: window\.request must be one of window\.accepted/,
    ],
    [
      withAcme({ window: { request: '1w', accepted: ['1w'], runsPastHours: null } }),
      /0\.window\.request: window\.request must look like 24h or 7d/,
    ],
    [withAcme({ endpoints: ['/v1/messages'] }), /0\.endpoints\.0: /],
    [
      withAcme({ key: { secretName: 'batchlane/acme', envVar: 'acme_key' } }),
      /0\.key\.envVar: key\.envVar must be UPPER_SNAKE/,
    ],
    [
      withAcme({ quirks: { client: 'azure' } }),
      /0\.quirks\.apiVersion: an azure profile needs quirks\.apiVersion/,
    ],
    [withAcme({ prices: [{ ...ACME_PROFILE.prices?.[0], input: -1 }] }), /0\.prices\.0\.input: /],
    [
      withAcme({ prices: [ACME_PROFILE.prices?.[0], ACME_PROFILE.prices?.[0]] }),
      /"providerProfiles" prices: .*providers\.acme\[1\]\.effective_from: duplicate entry for acme-chat-1/,
    ],
  ])('fails synth naming the entry and field (%#)', (value, message) => {
    expect(() => stackPropsFromContext(contextOf({ providerProfiles: value }))).toThrow(message);
  });

  it('refuses to enable an id that is neither built in nor a profile', () => {
    expect(() => stackPropsFromContext(contextOf({ enabledProviders: 'openai,acme' }))).toThrow(
      /"enabledProviders" names unknown providers: acme \(neither built in nor an id in "providerProfiles"\)/,
    );
    expect(() => stackPropsFromContext(contextOf({ enabledProviders: 'openai,Acme' }))).toThrow(
      /"enabledProviders" names unknown providers: Acme/,
    );
  });
});

/** Every `secretsmanager:GetSecretValue` resource granted to a role, as JSON text. */
const secretGrantsOf = (template: Template, roleId: string): string[] =>
  policyStatementsOf(template, roleId)
    .filter((statement) => [statement.Action].flat().includes('secretsmanager:GetSecretValue'))
    .map((statement) => JSON.stringify(statement.Resource));

describe("Stack: a deployment's own profile", () => {
  const { stack, template } = synthBatchlane({
    enabledProviders: ['openai', 'acme'],
    providerProfiles: [ACME_PROFILE],
  });
  const functions = [stack.collector, stack.poller, stack.completion, stack.realtime];

  it('gives the functions that call providers its secret, by the name the profile gives', () => {
    for (const fn of functions) {
      const env = environmentOf(template, logicalIdOf(stack, fn.function.function));
      expect(JSON.stringify(env[profileEnvNames('acme').secretArn])).toContain(
        'secret:batchlane/acme',
      );
      expect(env[ENV.enabledProviders]).toBe('openai,acme');
      expect(env[ENV.providerProfiles]).toBe(JSON.stringify([ACME_PROFILE]));
      const grants = secretGrantsOf(template, logicalIdOf(stack, fn.function.role));
      expect(grants.filter((g) => g.includes('batchlane/acme'))).toHaveLength(1);
      expect(grants.some((g) => g.includes(':secret:batchlane/acme-??????'))).toBe(true);
    }
    // The key is the operator's to create: the stack makes no secret for it.
    expect(stack.providerSecrets.createdFor).not.toContain('acme');
  });

  it('gives the webhook receiver nothing of it', () => {
    const receiver = stack.webhookReceiver;
    expect(receiver).toBeDefined();
    const env = environmentOf(template, logicalIdOf(stack, receiver!.function.function));
    expect(env[profileEnvNames('acme').secretArn]).toBeUndefined();
    const grants = secretGrantsOf(template, logicalIdOf(stack, receiver!.function.role));
    expect(grants.length).toBeGreaterThan(0);
    expect(grants.some((g) => g.includes('batchlane/acme'))).toBe(false);
  });

  it('is loaded by the functions with its prices in the price table', () => {
    const env = environmentOf(template, logicalIdOf(stack, stack.completion.function.function));
    const config = loadConfig({
      [ENV.tableName]: 't',
      [ENV.bucketName]: 'b',
      [ENV.eventBusName]: 'e',
      [ENV.completionQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/c',
      [ENV.enabledProviders]: String(env[ENV.enabledProviders]),
      [ENV.providerProfiles]: String(env[ENV.providerProfiles]),
    });
    expect(config.enabledProviders).toEqual(['openai', 'acme']);
    expect(config.profiles?.['acme']).toMatchObject({ baseUrl: 'https://api.acme.example/v1' });
    expect(config.priceTable.providers['acme']).toEqual([
      expect.objectContaining({ model: 'acme-chat-1', input: 2, output: 8 }),
    ]);
    expect(config.priceTable.version).toMatch(/\+profiles$/);
  });
});

describe("Stack: a deployment's own profile in the 4 KB environment", () => {
  const pricedFor = (count: number) => ({
    ...ACME_PROFILE,
    prices: Array.from({ length: count }, (_, index) => ({
      ...ACME_PROFILE.prices?.[0],
      model: `acme-chat-${index}`,
    })),
  });

  it('synthesizes a profile whose prices fit', () => {
    const profile = pricedFor(2);
    const { stack, template } = synthBatchlane({
      enabledProviders: ['openai', 'acme'],
      providerProfiles: [profile] as ProviderProfileInput[],
    });
    const env = environmentOf(template, logicalIdOf(stack, stack.collector.function.function));
    expect(JSON.parse(String(env[ENV.providerProfiles]))).toEqual([profile]);
  });

  it('fails synth naming providerProfiles when its prices pass the limit', () => {
    expect(() =>
      synthBatchlane({
        enabledProviders: ['openai', 'acme'],
        providerProfiles: [pricedFor(12)] as ProviderProfileInput[],
      }),
    ).toThrow(
      /providerProfiles is too large: the environment variables of Test\/Collector\/Function would take about \d+ bytes, over Lambda's limit of 4096 bytes per function \(BATCHLANE_PROVIDER_PROFILES alone takes \d+\)/,
    );
  });
});
