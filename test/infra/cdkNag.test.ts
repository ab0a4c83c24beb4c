import { App, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchlaneStack, type BatchlaneStackProps } from '../../infra/BatchlaneStack.js';
import { FIXTURE_HANDLERS, synthBatchlane } from './synthBatchlane.js';

/** A configuration that exercises every optional grant (destinations, imported secrets). */
const FULL: BatchlaneStackProps = {
  destinationQueueArns: ['arn:aws:sqs:eu-west-1:111111111111:results'],
  destinationBucketNames: ['caller-results'],
  destinationEventBusArns: ['arn:aws:events:eu-west-1:111111111111:event-bus/callers'],
  defaultDestination: { type: 's3', bucket: 'default-results', prefix: 'batchlane/' },
  anthropicSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:anthropic',
};

const acknowledgments = (scope: IConstruct): Record<string, string> =>
  Object.assign(
    {},
    ...scope.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .map((entry) => entry.data as Record<string, string>),
      ),
  );

describe('cdk-nag: AwsSolutionsChecks', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ['the defaults', {}],
    ['destinations and imported secrets', FULL],
  ] as const)('reports no unacknowledged finding with %s', (_, props) => {
    const { stack } = synthBatchlane(props);
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges exactly the findings that occur, each with a specific reason', () => {
    const acknowledged = acknowledgments(synthBatchlane(FULL).stack);
    for (const reason of Object.values(acknowledged)) {
      expect(reason.length).toBeGreaterThan(60);
    }

    // Prepare: the same stack with acknowledgments switched off.
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const { stack } = synthBatchlane(FULL);
    // Act
    const findings = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.map((v) => v.ruleName);
    // Assess: no stale acknowledgment, no blanket one.
    const ids = Object.keys(acknowledged).map((key) => key.replace(/^annotation::/i, ''));
    expect([...new Set(ids)].sort()).toEqual([...new Set(findings)].sort());
    expect([...new Set(findings)].sort()).toEqual([
      'AwsSolutions-IAM5[Resource::<ArtifactsBucket454C14F5.Arn>/*]',
      'AwsSolutions-IAM5[Resource::<ArtifactsBucket454C14F5.Arn>/claims/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::caller-results/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::default-results/batchlane/*]',
      'AwsSolutions-L1',
      'AwsSolutions-SMG4',
    ]);
  });

  it('runs as a validation plugin during synth, as the app wires it, without failing', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new BatchlaneStack(app, 'Test', { handlersDir: FIXTURE_HANDLERS });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synth through the same wiring when a finding is not acknowledged', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new BatchlaneStack(app, 'Test', { handlersDir: FIXTURE_HANDLERS });
    new Bucket(stack, 'Unprotected');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S10|Validation failed/);
  });
});
