import { readdirSync, readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  COLLECTOR_DELIVERY_FAILURE_MESSAGES,
  COMPLETION_DELIVERY_FAILURE_MESSAGES,
  DESTINATION_TYPES,
} from '../../infra/constructs/OperationalAlarms.js';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import { PUSH_ENV } from '../../shared/config/pushConfig.js';
import { STUCK_ENV } from '../../shared/config/stuckConfig.js';

/** `text` as a literal inside a regular expression. */
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

import { environmentOf, logicalIdOf, synthBatchlane } from './synthBatchlane.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

const { stack, template } = synthBatchlane();
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string): [string, Resource][] =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);

const ids = {
  table: logicalIdOf(stack, stack.stateTable.table),
  bucket: logicalIdOf(stack, stack.artifacts.bucket),
  bus: logicalIdOf(stack, stack.eventBus.bus),
  intake: logicalIdOf(stack, stack.intakeQueue.queue),
  intakeDlq: logicalIdOf(stack, stack.intakeQueue.deadLetterQueue),
  completionQueue: logicalIdOf(stack, stack.completion.queue),
  completionDlq: logicalIdOf(stack, stack.completion.deadLetterQueue),
  realtimeQueue: logicalIdOf(stack, stack.realtime.queue),
  realtimeDlq: logicalIdOf(stack, stack.realtime.deadLetterQueue),
  collector: logicalIdOf(stack, stack.collector.function.function),
  poller: logicalIdOf(stack, stack.poller.function.function),
  completion: logicalIdOf(stack, stack.completion.function.function),
  realtime: logicalIdOf(stack, stack.realtime.function.function),
  anthropicSecret: logicalIdOf(stack, stack.providerSecrets.secretFor('anthropic')!),
  openaiSecret: logicalIdOf(stack, stack.providerSecrets.secretFor('openai')!),
};
const functionIds = [ids.collector, ids.poller, ids.completion, ids.realtime];
const envOf = (functionId: string): Record<string, unknown> => environmentOf(template, functionId);

describe('Construct: StateTable', () => {
  it('has the key schema, index and TTL the runtime code depends on', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'active-batches',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });
});

describe('Queues', () => {
  it('encrypts every queue and denies every non-TLS request', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues.map(([id]) => id).sort()).toEqual(
      [
        ids.intake,
        ids.intakeDlq,
        ids.completionQueue,
        ids.completionDlq,
        ids.realtimeQueue,
        ids.realtimeDlq,
      ].sort(),
    );
    for (const [id, queue] of queues) {
      expect(queue.Properties.SqsManagedSseEnabled, id).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it.each([
    ['intake', 'intake', 'intakeDlq', 5],
    ['completion', 'completionQueue', 'completionDlq', 10],
    ['realtime', 'realtimeQueue', 'realtimeDlq', 6],
  ] as const)('redrives the %s queue to its own dead-letter queue', (_, queue, dlq, count) => {
    expect(resources[ids[queue]]?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [ids[dlq], 'Arn'] },
      maxReceiveCount: count,
    });
    // Dead-letter queues keep messages as long as SQS allows, for inspection and redrive.
    expect(resources[ids[dlq]]?.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('gives every consumed queue a visibility timeout of at least 6 × its consumer timeout', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(3);
    for (const [, mapping] of mappings) {
      const queueId = (mapping.Properties.EventSourceArn as { 'Fn::GetAtt': [string] })[
        'Fn::GetAtt'
      ][0];
      const functionId = (mapping.Properties.FunctionName as { Ref: string }).Ref;
      const visibility = resources[queueId]?.Properties.VisibilityTimeout as number;
      const timeout = resources[functionId]?.Properties.Timeout as number;
      expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
    }
  });

  it.each([
    ['intake', 'intakeDlq'],
    ['completion', 'completionDlq'],
    ['realtime', 'realtimeDlq'],
  ] as const)('alarms as soon as a message reaches the %s dead-letter queue', (_, dlq) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids[dlq], 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('Functions', () => {
  it.each(functionIds)(
    '%s runs Node 22 on ARM with an own log group that has a retention',
    (id) => {
      const fn = resources[id]?.Properties ?? {};
      expect(fn.Runtime).toBe('nodejs22.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Handler).toBe('index.handler');
      expect(envOf(id).NODE_OPTIONS).toBe('--enable-source-maps');
      const logGroupId = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resources[logGroupId]?.Type).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroupId]?.Properties.RetentionInDays).toBe(30);
    },
  );

  it.each(functionIds)('%s alarms on invocation errors', (id) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('feeds the collector from the intake queue in batches of 100 gathered for up to 20 s', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [ids.intake, 'Arn'] },
      FunctionName: { Ref: ids.collector },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 20,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('feeds the completion function one ended batch at a time', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [ids.completionQueue, 'Arn'] },
      FunctionName: { Ref: ids.completion },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('runs the poller every minute, one at a time, without retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [ids.poller, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    expect(resources[ids.poller]?.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(resources[ids.poller]?.Properties.Timeout).toBeLessThan(60);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: ids.poller },
      MaximumRetryAttempts: 0,
    });
  });

  it.each(functionIds)(
    '%s gets every variable the configuration loader requires, tied to the resources',
    (id) => {
      expect(envOf(id)).toMatchObject({
        [ENV.tableName]: { Ref: ids.table },
        [ENV.bucketName]: { Ref: ids.bucket },
        [ENV.eventBusName]: { Ref: ids.bus },
        [ENV.completionQueueUrl]: { Ref: ids.completionQueue },
        [ENV.enabledProviders]: 'anthropic,openai',
        [ENV.anthropicSecretArn]: { Ref: ids.anthropicSecret },
        [ENV.openaiSecretArn]: { Ref: ids.openaiSecret },
        [ENV.idempotencyTtlSeconds]: String(21 * 24 * 3600),
        [ENV.pollIntervalSeconds]: '60',
        // Provider attempts per request, not the SQS receive count (5 on the intake queue).
        [ENV.maxAttempts]: '3',
        [ENV.publishRequestEvents]: 'false',
        [ENV.leaseSeconds]: '960',
        // The namespace and service the alarms read batchlane's metrics from.
        POWERTOOLS_SERVICE_NAME: 'batchlane',
        POWERTOOLS_METRICS_NAMESPACE: 'batchlane',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      // No default destination unless configured; no API keys in plain text, ever.
      expect(envOf(id)).not.toHaveProperty(ENV.defaultDestination);
      expect(envOf(id)).not.toHaveProperty(ENV.anthropicApiKey);
      expect(envOf(id)).not.toHaveProperty(ENV.openaiApiKey);
    },
  );

  it.each(functionIds)(
    '%s leaves the cost, lane and admission variables unset when the context leaves them unset',
    (id) => {
      const unset = [
        ENV.priceTable,
        ENV.costTagKey,
        ENV.autoBatchWindowSeconds,
        ENV.autoMarginSeconds,
        ENV.escalateBeforeDeadlineSeconds,
        ENV.batchMaxAgeSeconds,
        ENV.quotas,
        ENV.quotaRetrySeconds,
        ENV.budgetDailyUsd,
        ENV.budgetMonthlyUsd,
      ];
      // Unset, the runtime applies its own defaults (no price override, no quotas, no caps).
      expect(unset.filter((name) => name in envOf(id))).toEqual([]);
    },
  );

  it('leases batches for longer than any function may run', () => {
    for (const id of functionIds) {
      expect(Number(envOf(id)[ENV.leaseSeconds])).toBeGreaterThan(
        resources[id]?.Properties.Timeout as number,
      );
    }
  });

  it('only sets variable names the runtime knows', () => {
    const known = new Set<string>([
      ...Object.values(ENV),
      ...Object.values(PUSH_ENV),
      ...Object.values(STUCK_ENV),
      'NODE_OPTIONS',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_LOG_LEVEL',
    ]);
    for (const id of functionIds) {
      expect(Object.keys(envOf(id)).filter((name) => !known.has(name))).toEqual([]);
    }
  });
});

describe('Buckets', () => {
  it('blocks public access, encrypts and denies non-TLS requests on every bucket', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption, id).toEqual({
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      });
      expect(bucket.DeletionPolicy, id).toBe('Retain');
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    }
  });

  it('versions artifacts, expires working files after 30 days, keeps parked and oversize results 90 days under rules of their own, and logs access', () => {
    const logsId = logicalIdOf(stack, stack.artifacts.accessLogsBucket);
    const rule = (id: string, prefix: string, days: number) => ({
      Id: id,
      Prefix: prefix,
      Status: 'Enabled',
      ExpirationInDays: days,
      NoncurrentVersionExpiration: { NoncurrentDays: 7 },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logsId } },
      LifecycleConfiguration: {
        Rules: [
          rule('expire-batches', 'batches/', 30),
          rule('expire-realtime', 'realtime/', 30),
          rule('expire-claims', 'claims/', 30),
          rule('keep-parked', 'parked/', 90),
          rule('keep-results-oversize', 'results/oversize/', 90),
          {
            Id: 'abort-incomplete-uploads',
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    });
  });

  it('gives no rule without a prefix an expiration: nothing bucket-wide expires parked results', () => {
    const bucket = template.toJSON().Resources[logicalIdOf(stack, stack.artifacts.bucket)] as {
      Properties: { LifecycleConfiguration: { Rules: Record<string, unknown>[] } };
    };
    const rules = bucket.Properties.LifecycleConfiguration.Rules;
    expect(
      rules.filter((r) => r['Prefix'] === undefined && r['ExpirationInDays'] !== undefined),
    ).toEqual([]);
  });
});

describe('Construct: OperationalAlarms', () => {
  const alarmOf = (construct: Parameters<typeof logicalIdOf>[1]) =>
    resources[logicalIdOf(stack, construct)]?.Properties ?? {};

  it('alarms on batches stuck past expiry, summing the per-provider metrics the poller emits', () => {
    const alarm = alarmOf(stack.alarms.stuckBatchesAlarm);
    expect(alarm).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const queries = alarm.Metrics as {
      Id: string;
      Expression?: string;
      ReturnData?: boolean;
      MetricStat?: {
        Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] };
        Stat: string;
      };
    }[];
    const expression = queries.find((q) => q.Expression !== undefined);
    expect(expression?.Expression).toBe('FILL(m0, 0) + FILL(m1, 0)');
    const stats = queries.filter((q) => q.MetricStat !== undefined);
    // Powertools adds the `service` dimension to every metric: without it nothing matches.
    expect(stats.map((q) => q.MetricStat)).toEqual(
      ['anthropic', 'openai'].map((provider) => ({
        Metric: {
          Namespace: 'batchlane',
          MetricName: 'BatchesStuckPastExpiry',
          Dimensions: [
            { Name: 'provider', Value: provider },
            { Name: 'service', Value: 'batchlane' },
          ],
        },
        Period: 300,
        Stat: 'Sum',
      })),
    );
  });

  it('watches only the enabled providers', () => {
    const one = synthBatchlane({ enabledProviders: ['openai'] });
    const alarm = one.template.toJSON().Resources[
      logicalIdOf(one.stack, one.stack.alarms.stuckBatchesAlarm)
    ].Properties as { Metrics: { Expression?: string }[] };
    expect(alarm.Metrics.map((m) => m.Expression).filter(Boolean)).toEqual(['FILL(m0, 0)']);
  });

  it('alarms on poller errors that persist for three 5-minute periods', () => {
    expect(alarmOf(stack.alarms.pollerErrorsAlarm)).toMatchObject({
      Namespace: 'batchlane',
      MetricName: 'PollerErrors',
      Dimensions: [{ Name: 'service', Value: 'batchlane' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on the first batch whose results its provider no longer kept', () => {
    expect(alarmOf(stack.alarms.resultsGoneAlarm)).toMatchObject({
      Namespace: 'batchlane',
      MetricName: 'BatchResultsGone',
      Dimensions: [{ Name: 'service', Value: 'batchlane' }],
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on the first delivery failure: the per-destination metric plus failures counted from logs', () => {
    const alarm = alarmOf(stack.alarms.deliveryFailuresAlarm);
    expect(alarm).toMatchObject({ Threshold: 0, EvaluationPeriods: 1 });
    const queries = alarm.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: {
        Metric: { MetricName: string; Dimensions?: { Name: string; Value: string }[] };
      };
    }[];
    expect(queries.find((q) => q.Expression !== undefined)?.Expression).toBe(
      'FILL(logs, 0) + FILL(d0, 0) + FILL(d1, 0) + FILL(d2, 0) + FILL(d3, 0)',
    );
    const watched = queries
      .filter((q) => q.MetricStat !== undefined)
      .map((q) => {
        const metric = q.MetricStat?.Metric;
        const destination = metric?.Dimensions?.find((d) => d.Name === 'destination')?.Value;
        return `${metric?.MetricName}${destination === undefined ? '' : `/${destination}`}`;
      });
    expect(watched.sort()).toEqual(
      [
        'DeliveryFailureLogs',
        ...DESTINATION_TYPES.map((type) => `DeliveryFailures/${type}`),
      ].sort(),
    );
    expect(DESTINATION_TYPES).toEqual(['sqs', 's3', 'eventbridge', 'webhook']);
    const filters = ofType('AWS::Logs::MetricFilter').map(([, filter]) => filter.Properties);
    expect(filters).toHaveLength(2);
    const byLogGroup = Object.fromEntries(
      filters.map((filter) => [(filter.LogGroupName as { Ref: string }).Ref, filter]),
    );
    const completionLogs = byLogGroup[logicalIdOf(stack, stack.completion.function.logGroup)];
    const collectorLogs = byLogGroup[logicalIdOf(stack, stack.collector.function.logGroup)];
    for (const filter of [completionLogs, collectorLogs]) {
      expect(filter?.MetricTransformations).toEqual([
        { MetricNamespace: 'batchlane', MetricName: 'DeliveryFailureLogs', MetricValue: '1' },
      ]);
    }
    for (const message of COMPLETION_DELIVERY_FAILURE_MESSAGES) {
      expect(completionLogs?.FilterPattern).toContain(`$.message = "${message}"`);
    }
    for (const message of COLLECTOR_DELIVERY_FAILURE_MESSAGES) {
      expect(collectorLogs?.FilterPattern).toContain(`$.message = "${message}"`);
    }
  });

  it('filters on messages the runtime still logs', () => {
    // A renamed log message would silently stop the delivery-failures alarm.
    const source = (name: string): string =>
      readFileSync(new URL(`../../shared/usecases/${name}`, import.meta.url), 'utf8');
    const runtime = readdirSync(new URL('../../shared/usecases/', import.meta.url), {
      recursive: true,
    })
      .map(String)
      .filter((name) => name.endsWith('.ts'))
      .map(source)
      .join('\n');
    for (const message of [
      ...COMPLETION_DELIVERY_FAILURE_MESSAGES,
      ...COLLECTOR_DELIVERY_FAILURE_MESSAGES,
    ]) {
      expect(runtime, message).toMatch(
        new RegExp(`logger\\.(warn|error)\\(\\s*'${escapeRegExp(message)}'`),
      );
    }
    // And the metrics the alarms read are emitted, under their declared names.
    expect(source('createPoller.ts')).toContain(
      'metrics.count(METRIC.BatchesStuckPastExpiry, 1, { provider: batch.provider })',
    );
    expect(source('createPoller.ts')).toContain('metrics.count(METRIC.PollerErrors, 1)');
    expect(source('completion/deliverOutcomes.ts')).toMatch(
      /metrics\.count\(\s*METRIC\.DeliveryFailures,\s*\w+\.length,\s*\{\s*destination:\s*\w+\.destination\.type,?\s*\}\s*\)/,
    );
  });
});

describe('Stack: BatchlaneStack', () => {
  it('shows the state of every alarm on the dashboard', () => {
    const alarms = [
      stack.alarms.stuckBatchesAlarm,
      stack.alarms.pollerErrorsAlarm,
      stack.alarms.deliveryFailuresAlarm,
      stack.intakeQueue.deadLetterAlarm,
      stack.completion.deadLetterAlarm,
      stack.collector.function.errorsAlarm,
      stack.poller.function.errorsAlarm,
      stack.completion.function.errorsAlarm,
    ].map((alarm) => logicalIdOf(stack, alarm));
    const [[, dashboard] = []] = ofType('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const alarm of alarms) {
      expect(body).toContain(`"Fn::GetAtt":["${alarm}","Arn"]`);
    }
  });

  it('graphs stuck batches of every provider with a SEARCH on the dashboard', () => {
    const [[, dashboard] = []] = ofType('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain('SEARCH(');
    expect(body).toContain('BatchesStuckPastExpiry');
    expect(body).toContain('PollerErrors');
    expect(body).toContain('DeliveryFailures');
    expect(body).toContain('ResultsParked');
  });

  it('outputs what producers and operators need', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.IntakeQueueUrl?.Value).toEqual({ Ref: ids.intake });
    expect(outputs.IntakeQueueArn?.Value).toEqual({ 'Fn::GetAtt': [ids.intake, 'Arn'] });
    expect(outputs.ArtifactsBucketName?.Value).toEqual({ Ref: ids.bucket });
    expect(outputs.StateTableName?.Value).toEqual({ Ref: ids.table });
    expect(outputs.EventBusName?.Value).toEqual({ Ref: ids.bus });
    expect(outputs.anthropicSecretArn?.Value).toEqual({ Ref: ids.anthropicSecret });
    // `batchlane smoke` reads these from the outputs file.
    expect(outputs.DestinationAllowList?.Value).toBe('none');
    expect(outputs.EnabledProviders?.Value).toBe('anthropic,openai');
    expect(outputs.DashboardName?.Value).toBeDefined();
    expect(outputs.IntakeDeadLetterQueueArn?.Value).toEqual({
      'Fn::GetAtt': [ids.intakeDlq, 'Arn'],
    });
    expect(outputs.CompletionDeadLetterQueueUrl?.Value).toEqual({ Ref: ids.completionDlq });
  });

  it('creates provider secrets with an explicitly empty key, kept when the stack is deleted', () => {
    for (const id of [ids.anthropicSecret, ids.openaiSecret]) {
      expect(resources[id]?.DeletionPolicy).toBe('Retain');
      // The runtime reports `{"apiKey":""}` as "put the key in <arn>"; a generated value
      // would instead be sent to the provider as a key.
      expect(resources[id]?.Properties.SecretString).toBe('{"apiKey":""}');
      expect(resources[id]?.Properties).not.toHaveProperty('GenerateSecretString');
    }
  });
});
