import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../infra/stackPropsFromContext.js';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import { environmentOf, logicalIdOf, synthBatchlane } from './synthBatchlane.js';

const contextOf = (context: Record<string, unknown>) => new App({ context }).node;

const PARTNER_ROLE = 'arn:aws:iam::210987654321:role/evals-producer';

describe('Stack: producers and budgets', () => {
  const { stack, template } = synthBatchlane(
    stackPropsFromContext(
      contextOf({
        collectorMaxConcurrency: '25',
        intakeProducerPrincipals: `${PARTNER_ROLE}, 123456789012`,
        producerNamespaces: '{"AROAEVALSROLEID": "evals", "210987654321*": "partner"}',
        unpricedCeilingUsdPerMTok: '30',
      }),
    ),
  );
  const collector = logicalIdOf(stack, stack.collector.function.function);
  const intake = logicalIdOf(stack, stack.intakeQueue.queue);
  const roleOf = (fn: { role: object }) => logicalIdOf(stack, fn.role as never);

  it('bounds the collector concurrency with the context key', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [intake, 'Arn'] },
      FunctionName: { Ref: collector },
      ScalingConfig: { MaximumConcurrency: 25 },
    });
  });

  it('bounds it at 10 by default', () => {
    synthBatchlane().template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('refuses a concurrency Lambda would refuse', () => {
    expect(() => stackPropsFromContext(contextOf({ collectorMaxConcurrency: '1' }))).toThrow(
      /collectorMaxConcurrency/,
    );
    expect(() => stackPropsFromContext(contextOf({ collectorMaxConcurrency: 1001 }))).toThrow(
      /collectorMaxConcurrency/,
    );
  });

  it("lets the intake queue's producer principals send, and only send", () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: intake }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'Producer0',
            Effect: 'Allow',
            Principal: { AWS: PARTNER_ROLE },
            Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
            Resource: { 'Fn::GetAtt': [intake, 'Arn'] },
          }),
          Match.objectLike({
            Sid: 'Producer1',
            Principal: {
              AWS: { 'Fn::Join': ['', Match.arrayWith([':iam::123456789012:root'])] },
            },
          }),
        ]),
      },
    });
  });

  it('refuses a producer principal that is neither an account nor a role or user ARN', () => {
    expect(() =>
      synthBatchlane({ intakeProducerPrincipals: ['arn:aws:iam::123456789012:group/all'] }),
    ).toThrow(/intake producer principal/);
    expect(() => synthBatchlane({ intakeProducerPrincipals: ['*'] })).toThrow(
      /intake producer principal/,
    );
  });

  it('outputs every function role, for destination policies in other accounts', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const functions = {
      Collector: stack.collector.function,
      Completion: stack.completion.function,
      Realtime: stack.realtime.function,
      Poller: stack.poller.function,
    };
    for (const [name, fn] of Object.entries(functions)) {
      expect(outputs[`${name}RoleArn`]?.Value).toEqual({ 'Fn::GetAtt': [roleOf(fn), 'Arn'] });
    }
  });

  it("tells the collector its own role's unique id, the only sender whose producer attribute it believes", () => {
    expect(environmentOf(template, collector)[ENV.selfPrincipals]).toEqual({
      'Fn::GetAtt': [roleOf(stack.collector.function), 'RoleId'],
    });
  });

  it('passes the producer namespaces and the unpriced ceiling to the functions', () => {
    const env = environmentOf(template, collector);
    expect(JSON.parse(env[ENV.producerNamespaces] as string)).toEqual({
      AROAEVALSROLEID: 'evals',
      '210987654321*': 'partner',
    });
    expect(env[ENV.unpricedCeilingUsdPerMTok]).toBe('30');
  });

  it('refuses namespaces the runtime would refuse', () => {
    expect(() =>
      stackPropsFromContext(contextOf({ producerNamespaces: '{"AROAX": "team#a"}' })),
    ).toThrow(/producerNamespaces/);
    expect(() =>
      stackPropsFromContext(contextOf({ producerNamespaces: '{"AROA*X*": "team"}' })),
    ).toThrow(/producerNamespaces/);
  });
});
