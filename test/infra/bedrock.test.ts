import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { BatchlaneStackProps } from '../../infra/BatchlaneStack.js';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import { environmentOf, logicalIdOf, synthBatchlane } from './synthBatchlane.js';

const PROFILE = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const BASE = 'amazon.nova-lite-v1:0';
const WITH_BEDROCK: BatchlaneStackProps = {
  enabledProviders: ['anthropic', 'bedrock'],
  bedrockModels: [PROFILE, BASE],
};

type Statement = {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
};

/** Every statement of the inline policies attached to a role (by logical id). */
const statementsOf = (
  resources: Record<string, { Type: string; Properties: Record<string, unknown> }>,
  roleId: string,
): Statement[] =>
  Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

const actionsOf = (statements: Statement[]): string[] =>
  statements.flatMap((s) => [s.Action].flat()).sort();

describe('CDK: Bedrock batch inference', () => {
  it('trusts bedrock.amazonaws.com for this account jobs only, with S3 access to the bedrock/ prefix', () => {
    const { stack, template } = synthBatchlane(WITH_BEDROCK);
    const bedrock = stack.bedrock;
    expect(bedrock).toBeDefined();
    const roleId = logicalIdOf(stack, bedrock?.serviceRole ?? stack);

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'bedrock.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    Match.arrayWith([Match.stringLikeRegexp(':model-invocation-job/\\*$')]),
                  ],
                },
              },
            },
          },
        ],
      },
    });
    const resources = template.toJSON().Resources;
    const statements = statementsOf(resources, roleId);
    expect(actionsOf(statements)).toEqual([
      'bedrock:InvokeModel',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const objects = statements.find((s) => [s.Action].flat().includes('s3:GetObject'));
    expect(JSON.stringify(objects?.Resource)).toMatch(/\/bedrock\/\*"/);
    const list = statements.find((s) => [s.Action].flat().includes('s3:ListBucket'));
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['bedrock/*'] } });
  });

  it('grants job calls on the named models and jobs, and PassRole for the service role only', () => {
    const { stack, template } = synthBatchlane(WITH_BEDROCK);
    const resources = template.toJSON().Resources;
    const serviceRoleId = logicalIdOf(stack, stack.bedrock?.serviceRole ?? stack);
    const completion = statementsOf(resources, logicalIdOf(stack, stack.completion.function.role));

    const create = completion.find((s) =>
      [s.Action].flat().includes('bedrock:CreateModelInvocationJob'),
    );
    const createTargets = JSON.stringify(create?.Resource);
    expect(createTargets).toContain(`inference-profile/${PROFILE}`);
    expect(createTargets).toContain('foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(createTargets).toContain(`foundation-model/${BASE}`);
    expect(createTargets).toContain('model-invocation-job/*');
    expect(createTargets).not.toContain('foundation-model/*"');
    const pass = completion.find((s) => [s.Action].flat().includes('iam:PassRole'));
    expect(pass?.Resource).toEqual({ 'Fn::GetAtt': [serviceRoleId, 'Arn'] });
    expect(pass?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' },
    });
    const poller = statementsOf(resources, logicalIdOf(stack, stack.poller.function.role));
    expect(actionsOf(poller)).toEqual(
      expect.arrayContaining([
        'bedrock:GetModelInvocationJob',
        'bedrock:ListModelInvocationJobs',
        'bedrock:StopModelInvocationJob',
      ]),
    );
    const realtime = statementsOf(resources, logicalIdOf(stack, stack.realtime.function.role));
    expect(actionsOf(realtime)).toContain('bedrock:InvokeModel');
    expect(actionsOf(realtime)).not.toContain('bedrock:CreateModelInvocationJob');
    for (const fn of [stack.completion, stack.poller, stack.realtime, stack.collector]) {
      const env = environmentOf(template, logicalIdOf(stack, fn.function.function));
      expect(env[ENV.bedrockRoleArn]).toEqual({ 'Fn::GetAtt': [serviceRoleId, 'Arn'] });
      expect(String(env[ENV.enabledProviders])).toContain('bedrock');
    }
  });

  it('hands ended jobs named by batchlane to the completion queue through a rule on the default bus', () => {
    const { stack, template } = synthBatchlane(WITH_BEDROCK);
    const queueId = logicalIdOf(stack, stack.completion.queue);

    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: {
        source: ['aws.bedrock'],
        'detail-type': ['Batch Inference Job State Change'],
        detail: {
          status: ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'],
          batchJobName: [{ prefix: 'batchlane-' }],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } })],
    });
  });

  it('is cdk-nag clean, and creates no Bedrock resources or secret unless Bedrock is enabled', () => {
    const { stack } = synthBatchlane(WITH_BEDROCK);
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    expect(report.success).toBe(true);

    const plain = synthBatchlane({});
    expect(plain.stack.bedrock).toBeUndefined();
    expect(plain.stack.providerSecrets.secretFor('bedrock')).toBeUndefined();
    plain.template.resourceCountIs('AWS::Events::Rule', 1);
  });

  it('refuses Bedrock without the models it may call', () => {
    expect(() => synthBatchlane({ enabledProviders: ['bedrock'] })).toThrow(/bedrockModels/);
  });
});
