import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { BatchlaneStack } from '../../infra/BatchlaneStack.js';
import type { BatchFunction } from '../../infra/constructs/BatchFunction.js';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import {
  parseDestinationPolicy,
  refuseDestination,
} from '../../shared/domain/destinationPolicy.js';
import { environmentOf, logicalIdOf, synthBatchlane } from './synthBatchlane.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Statement = { Effect: string; Action: string | string[]; Resource: Json | Json[] };
type Resource = { Type: string; Properties: Record<string, Json> };

/** Renders `{ 'Fn::GetAtt': ['X', 'Arn'] }` as `<X.Arn>`, `{ Ref: 'X' }` as `<X>`, joins inline. */
const render = (value: Json): string => {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join)) return (join[1] as Json[]).map(render).join(join[0] as string);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt[0]}.${getAtt[1]}>`;
    if (typeof value.Ref === 'string') return `<${value.Ref}>`;
  }
  return JSON.stringify(value);
};

/** Every `action@resource` pair a function's role allows. */
const grantsOf = (template: Template, stack: BatchlaneStack, fn: BatchFunction): string[] => {
  const roleId = logicalIdOf(stack, fn.role);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const policies = Object.values(resources).filter(
    (resource) =>
      resource.Type === 'AWS::IAM::Policy' &&
      JSON.stringify(resource.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
  );
  const pairs = policies.flatMap((policy) =>
    ((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement ?? []).flatMap(
      (statement) => {
        expect(statement.Effect).toBe('Allow');
        const actions = [statement.Action].flat();
        const targets = Array.isArray(statement.Resource)
          ? statement.Resource
          : [statement.Resource];
        return actions.flatMap((action) => targets.map((target) => `${action}@${render(target)}`));
      },
    ),
  );
  return [...new Set(pairs)].sort();
};

const TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
const CONSUME_ACTIONS = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];

describe('IAM: grants per function', () => {
  const { stack, template } = synthBatchlane();
  const ref = (construct: Parameters<typeof logicalIdOf>[1]): string =>
    logicalIdOf(stack, construct);
  const table = ref(stack.stateTable.table);
  const bucket = ref(stack.artifacts.bucket);
  const secrets = (['anthropic', 'openai'] as const).flatMap((provider) => {
    const id = ref(stack.providerSecrets.secretFor(provider)!);
    return [`secretsmanager:DescribeSecret@<${id}>`, `secretsmanager:GetSecretValue@<${id}>`];
  });
  const common = (fn: BatchFunction): string[] => {
    const logGroup = ref(fn.logGroup);
    return [
      `logs:CreateLogStream@<${logGroup}.Arn>`,
      `logs:PutLogEvents@<${logGroup}.Arn>`,
      ...TABLE_ACTIONS.map((action) => `${action}@<${table}.Arn>`),
      `dynamodb:Query@<${table}.Arn>/index/active-batches`,
      `events:PutEvents@<${ref(stack.eventBus.bus)}.Arn>`,
      ...secrets,
    ];
  };
  const artifacts = [
    `s3:AbortMultipartUpload@<${bucket}.Arn>/*`,
    `s3:DeleteObject@<${bucket}.Arn>/*`,
    `s3:GetObject@<${bucket}.Arn>/*`,
    `s3:PutObject@<${bucket}.Arn>/*`,
    `s3:ListBucket@<${bucket}.Arn>`,
  ];

  // The collector writes anywhere in the bucket, but reads claim checks and nothing else.
  const collectorArtifacts = [
    `s3:AbortMultipartUpload@<${bucket}.Arn>/*`,
    `s3:PutObject@<${bucket}.Arn>/*`,
    `s3:GetObject@<${bucket}.Arn>/claims/*`,
  ];

  const sendToCompletion = (): string[] => {
    const completion = ref(stack.completion.queue);
    return [
      `sqs:GetQueueAttributes@<${completion}.Arn>`,
      `sqs:GetQueueUrl@<${completion}.Arn>`,
      `sqs:SendMessage@<${completion}.Arn>`,
    ];
  };

  const sendToRealtime = (): string[] => {
    const realtime = ref(stack.realtime.queue);
    return [
      `sqs:GetQueueAttributes@<${realtime}.Arn>`,
      `sqs:GetQueueUrl@<${realtime}.Arn>`,
      `sqs:SendMessage@<${realtime}.Arn>`,
    ];
  };

  it('lets the collector use the table, artifacts, bus and secrets, consume the intake queue and send to the completion queue (a batch the provider refuses ends at once) and the realtime queue', () => {
    const fn = stack.collector.function;
    const intake = ref(stack.intakeQueue.queue);
    expect(grantsOf(template, stack, fn)).toEqual(
      [
        ...common(fn),
        ...collectorArtifacts,
        ...CONSUME_ACTIONS.map((a) => `${a}@<${intake}.Arn>`),
        // Requests held by admission go back to the intake queue.
        `sqs:SendMessage@<${intake}.Arn>`,
        ...sendToCompletion(),
        ...sendToRealtime(),
      ].sort(),
    );
  });

  it('lets the collector read claim-check objects under claims/ of the artifacts bucket, and nothing else of it', () => {
    const grants = grantsOf(template, stack, stack.collector.function);
    const reads = grants.filter((grant) =>
      /^s3:(GetObject|GetObjectVersion|ListBucket|\*)@/.test(grant),
    );
    expect(reads).toEqual([`s3:GetObject@<${bucket}.Arn>/claims/*`]);
    // Nor any other bucket: a claim check naming one cannot be read.
    expect(grants.filter((grant) => grant.startsWith('s3:') && !grant.includes(bucket))).toEqual(
      [],
    );
  });

  it('lets the poller use the table, artifacts (it submits packed batches), bus and secrets and send to the completion queue and the realtime queue (escalations)', () => {
    const fn = stack.poller.function;
    expect(grantsOf(template, stack, fn)).toEqual(
      [...common(fn), ...artifacts, ...sendToCompletion(), ...sendToRealtime()].sort(),
    );
  });

  it('lets the realtime worker use the table, artifacts, bus and secrets, consume its queue and send to it (a job to try again is requeued), and reach no caller destination by default', () => {
    const fn = stack.realtime.function;
    const realtime = ref(stack.realtime.queue);
    expect(grantsOf(template, stack, fn)).toEqual(
      [
        ...new Set([
          ...common(fn),
          ...artifacts,
          ...CONSUME_ACTIONS.map((a) => `${a}@<${realtime}.Arn>`),
          ...sendToRealtime(),
        ]),
      ].sort(),
    );
  });

  it('lets the completion function use the table, artifacts, bus and secrets, consume its queue and send to it (a paused run hands its batch on) and to the realtime queue (a batch below its minimum), and reach no caller destination by default', () => {
    const fn = stack.completion.function;
    const completion = ref(stack.completion.queue);
    expect(grantsOf(template, stack, fn)).toEqual(
      [
        ...new Set([
          ...common(fn),
          ...artifacts,
          ...CONSUME_ACTIONS.map((a) => `${a}@<${completion}.Arn>`),
          ...sendToCompletion(),
          ...sendToRealtime(),
        ]),
      ].sort(),
    );
    // Said outright; the runtime reads an unset or empty list as "nothing" too.
    expect(environmentOf(template, ref(fn.function))[ENV.destinationAllowList]).toBe('none');
  });
});

describe('IAM: caller destinations', () => {
  const queueArn = 'arn:aws:sqs:eu-west-1:111111111111:results';
  const busArn = 'arn:aws:events:eu-west-1:111111111111:event-bus/callers';
  const { stack, template } = synthBatchlane({
    destinationQueueArns: [queueArn],
    destinationBucketNames: ['caller-results'],
    destinationEventBusArns: [busArn],
    defaultDestination: {
      type: 'sqs',
      queue_url: 'https://sqs.eu-west-1.amazonaws.com/222222222222/default-results',
    },
  });
  const completionId = logicalIdOf(stack, stack.completion.function.function);
  const envOf = (id: string) => environmentOf(template, id) as Record<string, Json>;
  const defaultQueueArn = 'arn:<AWS::Partition>:sqs:eu-west-1:222222222222:default-results';

  it('grants sending to exactly the allow-listed destinations plus the default destination', () => {
    const grants = grantsOf(template, stack, stack.completion.function);
    const destinationGrants = grants.filter((grant) =>
      /^(sqs:SendMessage|s3:PutObject|s3:AbortMultipartUpload|events:PutEvents)@(?!<)/.test(grant),
    );
    expect(destinationGrants).toEqual(
      [
        `events:PutEvents@${busArn}`,
        's3:AbortMultipartUpload@arn:<AWS::Partition>:s3:::caller-results/*',
        's3:PutObject@arn:<AWS::Partition>:s3:::caller-results/*',
        `sqs:SendMessage@${defaultQueueArn}`,
        `sqs:SendMessage@${queueArn}`,
      ].sort(),
    );
  });

  it('sets the allow-list variable from the same entries', () => {
    expect(render(envOf(completionId)[ENV.destinationAllowList] as Json).split(',')).toEqual([
      `sqs:${queueArn}`,
      `sqs:${defaultQueueArn}`,
      's3:caller-results',
      `eventbridge:${busArn}`,
    ]);
    expect(JSON.parse(envOf(completionId)[ENV.defaultDestination] as string)).toEqual({
      type: 'sqs',
      queue_url: 'https://sqs.eu-west-1.amazonaws.com/222222222222/default-results',
    });
  });

  it('lets the collector deliver rejected results to the same destinations, under the same allow-list', () => {
    const collector = stack.collector.function;
    const destinationGrants = (fn: BatchFunction) =>
      grantsOf(template, stack, fn).filter((grant) =>
        /^(sqs:SendMessage|s3:PutObject|s3:AbortMultipartUpload|events:PutEvents)@(?!<)/.test(
          grant,
        ),
      );
    expect(destinationGrants(collector)).toEqual(destinationGrants(stack.completion.function));
    // Unset, the runtime would read "no allow-list" as "any destination".
    expect(envOf(logicalIdOf(stack, collector.function))[ENV.destinationAllowList]).toEqual(
      envOf(completionId)[ENV.destinationAllowList],
    );
  });

  it('gives the poller no destination access', () => {
    for (const fn of [stack.poller.function]) {
      const grants = grantsOf(template, stack, fn);
      expect(
        grants.filter(
          (grant) => grant.includes('111111111111') || grant.includes('caller-results'),
        ),
      ).toEqual([]);
      expect(envOf(logicalIdOf(stack, fn.function))).not.toHaveProperty(ENV.destinationAllowList);
    }
  });

  it('never grants anything on a wildcard resource or action', () => {
    for (const fn of [stack.collector.function, stack.poller.function, stack.completion.function]) {
      for (const grant of grantsOf(template, stack, fn)) {
        const [action, resource] = grant.split('@') as [string, string];
        expect(action).not.toContain('*');
        // Object ARNs of a named bucket are the only wildcards.
        expect(
          resource === '*' || (resource.includes('*') && !resource.endsWith('/*')),
          grant,
        ).toBe(false);
      }
    }
  });

  it('allows an EventBridge default destination given by name, granting the bus of this account and region', () => {
    const named = synthBatchlane({
      defaultDestination: { type: 'eventbridge', event_bus_name: 'ops-results' },
    });
    const id = logicalIdOf(named.stack, named.stack.completion.function.function);
    const env = environmentOf(named.template, id);
    expect(env[ENV.destinationAllowList]).toBe('eventbridge:ops-results');
    expect(grantsOf(named.template, named.stack, named.stack.completion.function)).toContain(
      'events:PutEvents@arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/ops-results',
    );
  });
});

describe('IAM: caller destinations by prefix', () => {
  const { stack, template } = synthBatchlane({
    destinationQueueArns: ['arn:aws:sqs:eu-west-1:111111111111:team-a-*'],
    destinationBucketNames: ['caller-results/team-a/', 'other-results'],
    destinationEventBusArns: ['arn:aws:events:eu-west-1:111111111111:event-bus/team-a-*'],
  });
  const completionId = logicalIdOf(stack, stack.completion.function.function);

  it('grants exactly the prefixes the allow-list names, and nothing wider', () => {
    const grants = grantsOf(template, stack, stack.completion.function).filter((grant) =>
      /^(sqs:SendMessage|s3:PutObject|s3:AbortMultipartUpload|events:PutEvents)@(?!<)/.test(grant),
    );
    expect(grants).toEqual(
      [
        'events:PutEvents@arn:aws:events:eu-west-1:111111111111:event-bus/team-a-*',
        's3:AbortMultipartUpload@arn:<AWS::Partition>:s3:::caller-results/team-a/*',
        's3:AbortMultipartUpload@arn:<AWS::Partition>:s3:::other-results/*',
        's3:PutObject@arn:<AWS::Partition>:s3:::caller-results/team-a/*',
        's3:PutObject@arn:<AWS::Partition>:s3:::other-results/*',
        'sqs:SendMessage@arn:aws:sqs:eu-west-1:111111111111:team-a-*',
      ].sort(),
    );
  });

  it('hands the runtime the same entries, which it reads without error', () => {
    const list = environmentOf(template, completionId)[ENV.destinationAllowList] as string;
    expect(list.split(',')).toEqual([
      'sqs:arn:aws:sqs:eu-west-1:111111111111:team-a-*',
      's3:caller-results/team-a/',
      's3:other-results',
      'eventbridge:arn:aws:events:eu-west-1:111111111111:event-bus/team-a-*',
    ]);
    const policy = parseDestinationPolicy(list);
    const queue = (name: string) => ({
      type: 'sqs' as const,
      queue_url: `https://sqs.eu-west-1.amazonaws.com/111111111111/${name}`,
    });
    expect(refuseDestination(queue('team-a-grades'), policy, 'eu-west-1')).toBeNull();
    expect(refuseDestination(queue('team-b-grades'), policy, 'eu-west-1')?.code).toBe(
      'destination_forbidden',
    );
    const s3 = (prefix: string) => ({ type: 's3' as const, bucket: 'caller-results', prefix });
    expect(refuseDestination(s3('team-a/run-1/'), policy, 'eu-west-1')).toBeNull();
    expect(refuseDestination(s3('team-b/'), policy, 'eu-west-1')?.code).toBe(
      'destination_forbidden',
    );
  });

  it('narrows an S3 default destination to its prefix', () => {
    const named = synthBatchlane({
      defaultDestination: { type: 's3', bucket: 'ops-results', prefix: 'batchlane/' },
    });
    const id = logicalIdOf(named.stack, named.stack.completion.function.function);
    expect(environmentOf(named.template, id)[ENV.destinationAllowList]).toBe(
      's3:ops-results/batchlane/',
    );
    expect(grantsOf(named.template, named.stack, named.stack.completion.function)).toContain(
      's3:PutObject@arn:<AWS::Partition>:s3:::ops-results/batchlane/*',
    );
  });
});

describe('IAM: provider secrets', () => {
  it('references existing secrets by ARN and only for the enabled providers', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:openai-key-AbCdEf';
    const { stack, template } = synthBatchlane({
      enabledProviders: ['openai'],
      openaiSecretArn: arn,
      // The webhook receiver's secret, given too: this counts API-key secrets.
      openaiWebhookSecretArn: `${arn}-webhook`,
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    for (const fn of [stack.collector.function, stack.poller.function, stack.completion.function]) {
      const env = environmentOf(template, logicalIdOf(stack, fn.function));
      expect(env[ENV.enabledProviders]).toBe('openai');
      expect(env[ENV.openaiSecretArn]).toBe(arn);
      expect(env).not.toHaveProperty(ENV.anthropicSecretArn);
      const secretGrants = grantsOf(template, stack, fn).filter((g) =>
        g.startsWith('secretsmanager:'),
      );
      expect(secretGrants).toEqual([
        `secretsmanager:DescribeSecret@${arn}`,
        `secretsmanager:GetSecretValue@${arn}`,
      ]);
    }
  });

  it('gives Gemini its own secret when enabled beside the others, and none by default', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:gemini-key-AbCdEf';
    const { stack, template } = synthBatchlane({
      enabledProviders: ['anthropic', 'gemini'],
      geminiSecretArn: arn,
      geminiWebhookSecretArn: `${arn}-webhook`,
    });
    for (const fn of [stack.collector.function, stack.poller.function, stack.completion.function]) {
      const env = environmentOf(template, logicalIdOf(stack, fn.function));
      expect(env[ENV.enabledProviders]).toBe('anthropic,gemini');
      expect(env[ENV.geminiSecretArn]).toBe(arn);
      expect(env).not.toHaveProperty(ENV.openaiSecretArn);
      expect(grantsOf(template, stack, fn)).toContain(`secretsmanager:GetSecretValue@${arn}`);
    }
    // The Anthropic key's secret is created here; Gemini's is the one given.
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);

    const defaults = synthBatchlane({});
    const env = environmentOf(
      defaults.template,
      logicalIdOf(defaults.stack, defaults.stack.collector.function.function),
    );
    expect(env[ENV.enabledProviders]).toBe('anthropic,openai');
    expect(env).not.toHaveProperty(ENV.geminiSecretArn);
  });

  it('gives Mistral a secret created here when enabled without an ARN, and grants it', () => {
    const { stack, template } = synthBatchlane({
      enabledProviders: ['openai', 'mistral'],
      // The webhook receiver's secret, given: this counts API-key secrets.
      openaiWebhookSecretArn:
        'arn:aws:secretsmanager:eu-west-1:111111111111:secret:openai-webhook-AbCdEf',
    });
    // Both keys' secrets are created here, each put after deploying.
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasOutput('mistralSecretArn', {});
    for (const fn of [stack.collector.function, stack.poller.function, stack.completion.function]) {
      const env = environmentOf(template, logicalIdOf(stack, fn.function));
      expect(env[ENV.enabledProviders]).toBe('openai,mistral');
      expect(env).toHaveProperty(ENV.mistralSecretArn);
      expect(env).not.toHaveProperty(ENV.geminiSecretArn);
      const secretReads = grantsOf(template, stack, fn).filter((g) =>
        g.startsWith('secretsmanager:GetSecretValue@'),
      );
      expect(secretReads).toHaveLength(2);
    }
  });

  it('matches the random suffix when a secret is given by its partial ARN', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:anthropic-key';
    const { stack, template } = synthBatchlane({ anthropicSecretArn: arn });
    const grants = grantsOf(template, stack, stack.poller.function);
    expect(grants).toContain(`secretsmanager:GetSecretValue@${arn}-??????`);
  });
});

describe('IAM: webhook secrets', () => {
  const complete = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:hooks-a-AbCdEf';
  const partial = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:hooks-b';
  const webhookSecretArns = { 'hooks.example.com': complete, 'results.example.org': partial };
  const { stack, template } = synthBatchlane({ webhookSecretArns });
  const webhookGrants = (fn: BatchFunction): string[] =>
    grantsOf(template, stack, fn).filter(
      (grant) => grant.startsWith('secretsmanager:') && grant.includes(':secret:hooks-'),
    );

  it('lets every function that delivers read exactly the configured secrets, and names them per host', () => {
    for (const fn of [
      stack.collector.function,
      stack.completion.function,
      stack.realtime.function,
    ]) {
      expect(webhookGrants(fn)).toEqual([
        `secretsmanager:GetSecretValue@${complete}`,
        `secretsmanager:GetSecretValue@${partial}-??????`,
      ]);
      const env = environmentOf(template, logicalIdOf(stack, fn.function));
      expect(JSON.parse(env[ENV.webhookSecretArns] as string)).toEqual(webhookSecretArns);
    }
  });

  it('gives the poller, which delivers nothing, no webhook secret', () => {
    expect(webhookGrants(stack.poller.function)).toEqual([]);
    const env = environmentOf(template, logicalIdOf(stack, stack.poller.function.function));
    expect(env).not.toHaveProperty(ENV.webhookSecretArns);
  });

  it('sets and grants nothing without webhook secrets, so webhook destinations are refused', () => {
    const plain = synthBatchlane();
    const fn = plain.stack.completion.function;
    const env = environmentOf(plain.template, logicalIdOf(plain.stack, fn.function));
    expect(env).not.toHaveProperty(ENV.webhookSecretArns);
    expect(env).not.toHaveProperty(ENV.webhookSecrets);
  });
});
