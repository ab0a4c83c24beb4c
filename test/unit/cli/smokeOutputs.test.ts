import { describe, expect, it } from 'vitest';
import { parseQueueUrl, readStackOutputs } from '../../../cli/smoke/readStackOutputs.js';
import {
  allowListAdvice,
  isQueueAllowed,
  smokeQueueName,
} from '../../../cli/smoke/resultsQueue.js';

const INTAKE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Batchlane-IntakeQueue-AbC';

/** The shape `npx cdk deploy --outputs-file` writes. */
const outputsFile = (stacks: Record<string, Record<string, string>>): string =>
  JSON.stringify(stacks, null, 2);

describe('Function: readStackOutputs()', () => {
  it('reads the only batchlane stack of the file, with its allow-list and providers', () => {
    const target = readStackOutputs(
      outputsFile({
        Other: { BucketName: 'x' },
        Batchlane: {
          IntakeQueueUrl: INTAKE,
          DestinationAllowList:
            'sqs:arn:aws:sqs:eu-west-1:123456789012:Batchlane-smoke-results,s3:results',
          EnabledProviders: 'anthropic,openai',
          ArtifactsBucketName: 'batchlane-artifacts-abc',
          StateTableName: 'Batchlane-StateTable-1',
        },
      }),
    );
    expect(target).toEqual({
      stackName: 'Batchlane',
      intakeQueueUrl: INTAKE,
      region: 'eu-west-1',
      account: '123456789012',
      partition: 'aws',
      allowList: ['sqs:arn:aws:sqs:eu-west-1:123456789012:Batchlane-smoke-results', 's3:results'],
      artifactsBucket: 'batchlane-artifacts-abc',
      stateTable: 'Batchlane-StateTable-1',
      enabledProviders: ['anthropic', 'openai'],
    });
  });

  it('picks the stack named by --stack when there are several', () => {
    const json = outputsFile({
      Staging: { IntakeQueueUrl: INTAKE },
      Prod: { IntakeQueueUrl: INTAKE.replace('eu-west-1', 'us-east-1') },
    });
    expect(readStackOutputs(json, 'Prod').region).toBe('us-east-1');
    expect(() => readStackOutputs(json)).toThrow(
      /several batchlane stacks \(Staging, Prod\).*--stack/,
    );
    expect(() => readStackOutputs(json, 'Dev')).toThrow(/no batchlane stack "Dev".*Staging, Prod/);
  });

  it('reports outputs of older stacks (no allow-list, no providers) as unknown, not empty', () => {
    const target = readStackOutputs(outputsFile({ Batchlane: { IntakeQueueUrl: INTAKE } }));
    expect(target.allowList).toBeNull();
    expect(target.artifactsBucket).toBeNull();
    expect(target.enabledProviders).toBeNull();
  });

  it.each([
    ['not json', /not JSON/],
    ['[]', /object of stacks/],
    [outputsFile({ Batchlane: { EventBusName: 'bus' } }), /no stack with an IntakeQueueUrl/],
    [
      outputsFile({ Batchlane: { IntakeQueueUrl: 'http://localhost:4566/q' } }),
      /not an SQS queue URL/,
    ],
  ])('refuses %s with a message for the user', (json, message) => {
    expect(() => readStackOutputs(json)).toThrow(message);
  });
});

describe('Function: parseQueueUrl()', () => {
  it('derives the ARN from both URL styles and the China partition', () => {
    expect(parseQueueUrl(INTAKE)?.arn).toBe(
      'arn:aws:sqs:eu-west-1:123456789012:Batchlane-IntakeQueue-AbC',
    );
    expect(parseQueueUrl('https://us-east-1.queue.amazonaws.com/123456789012/q')?.arn).toBe(
      'arn:aws:sqs:us-east-1:123456789012:q',
    );
    expect(parseQueueUrl('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q')?.arn).toBe(
      'arn:aws-cn:sqs:cn-north-1:123456789012:q',
    );
    expect(parseQueueUrl('https://example.com/123456789012/q')).toBeNull();
  });
});

describe('Smoke results queue and the allow-list', () => {
  const arn = 'arn:aws:sqs:eu-west-1:123456789012:Batchlane-smoke-results';

  it('names the temporary queue after the stack, so its ARN can be allow-listed once', () => {
    expect(smokeQueueName('Batchlane')).toBe('Batchlane-smoke-results');
    expect(smokeQueueName('a.b c')).toBe('a-b-c-smoke-results');
    expect(smokeQueueName('x'.repeat(100)).length).toBeLessThanOrEqual(80);
  });

  it('tells allowed, refused and unknown apart', () => {
    expect(isQueueAllowed([`sqs:${arn}`], arn)).toBe(true);
    expect(isQueueAllowed(['sqs:arn:aws:sqs:eu-west-1:123456789012:Batchlane-*'], arn)).toBe(true);
    expect(isQueueAllowed([`sqs:${arn}-x`], arn)).toBe(false);
    // What the stack renders when no destination is allowed, and what older stacks rendered.
    expect(isQueueAllowed(['none'], arn)).toBe(false);
    expect(isQueueAllowed(['sqs:arn:none'], arn)).toBe(false);
    expect(isQueueAllowed(null, arn)).toBeNull();
  });

  it('explains the destinationQueueArns context with a deploy command naming the queue', () => {
    const advice = allowListAdvice('Batchlane', arn);
    expect(advice).toContain('destinationQueueArns');
    expect(advice).toContain(`npx cdk deploy -c destinationQueueArns=${arn}`);
    expect(advice).toContain('--results-queue-url');
  });
});
