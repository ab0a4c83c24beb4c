import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsCallRecorder } from '../../local/stack/AwsCallRecorder.js';
import { iamRequestsOf } from '../../local/stack/iamRequestsOf.js';
import { createAwsClients } from '../../shared/adapters/aws/createAwsClients.js';
import {
  globMatches,
  staleKnownUngranted,
  unexercisedGrants,
  ungrantedCalls,
} from '../support/grants/checkGrants.js';

const region = 'us-east-1';

/** A known refusal of the kind the list holds: reads outside the artifacts bucket. */
const OUTSIDE_CLAIMS = [
  {
    call: /^collector s3:GetObject arn:aws:s3:::(?!batchlane-artifacts\/)/,
    reason: 'claim checks outside the artifacts bucket',
  },
];
const queue = (name: string) => `arn:aws:sqs:${region}:000000000000:${name}`;
const table = `arn:aws:dynamodb:${region}:000000000000:table/batchlane-state`;
const command = (clientName: string, commandName: string, input: Record<string, unknown>) => ({
  functionName: 'completion',
  clientName,
  commandName,
  region,
  input,
});

describe('Function: iamRequestsOf()', () => {
  it('authorizes batch SQS commands as their single-message action on the queue named by the URL path, whatever its host', () => {
    expect(
      iamRequestsOf(
        command('SQSClient', 'SendMessageBatchCommand', {
          QueueUrl: 'http://sqs.eu-west-1.localhost:4566/000000000000/results',
        }),
      ),
    ).toEqual([{ action: 'sqs:SendMessage', resource: queue('results') }]);
  });

  it('authorizes a transaction item by item and a batch write per table', () => {
    expect(
      iamRequestsOf(
        command('DynamoDBClient', 'TransactWriteItemsCommand', {
          TransactItems: [
            { Put: { TableName: 'batchlane-state' } },
            { ConditionCheck: { TableName: 'batchlane-state' } },
          ],
        }),
      ),
    ).toEqual([
      { action: 'dynamodb:PutItem', resource: table },
      { action: 'dynamodb:ConditionCheckItem', resource: table },
    ]);
    expect(
      iamRequestsOf(
        command('DynamoDBClient', 'QueryCommand', {
          TableName: 'batchlane-state',
          IndexName: 'active-batches',
        }),
      ),
    ).toEqual([{ action: 'dynamodb:Query', resource: `${table}/index/active-batches` }]);
  });

  it('authorizes multipart uploads as PutObject, HeadObject as GetObject and a copy as both', () => {
    const s3 = (name: string, input: Record<string, unknown>) =>
      iamRequestsOf(command('S3Client', `${name}Command`, input));
    expect(s3('UploadPart', { Bucket: 'b', Key: 'k/1' })).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k/1' },
    ]);
    expect(s3('HeadObject', { Bucket: 'b', Key: 'k' })).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' },
    ]);
    expect(s3('ListObjectsV2', { Bucket: 'b', Prefix: 'p/' })).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::b' },
    ]);
    expect(s3('CopyObject', { Bucket: 'b', Key: 'to', CopySource: 'src/from%20x' })).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::src/from x' },
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/to' },
    ]);
  });

  it('authorizes PutEvents per entry on the bus it names, the default bus when none', () => {
    expect(
      iamRequestsOf(
        command('EventBridgeClient', 'PutEventsCommand', {
          Entries: [{ EventBusName: 'batchlane' }, {}],
        }),
      ),
    ).toEqual([
      {
        action: 'events:PutEvents',
        resource: `arn:aws:events:${region}:000000000000:event-bus/batchlane`,
      },
      {
        action: 'events:PutEvents',
        resource: `arn:aws:events:${region}:000000000000:event-bus/default`,
      },
    ]);
  });

  it('names a command of a client it does not know by its service and operation, on *', () => {
    expect(
      iamRequestsOf(command('BedrockRuntimeClient', 'InvokeModelCommand', { modelId: 'm' })),
    ).toEqual([{ action: 'bedrock:InvokeModel', resource: '*' }]);
  });
});

describe('Function: globMatches()', () => {
  it('matches IAM wildcards: * any run, ? one character, actions regardless of case', () => {
    expect(globMatches('arn:aws:s3:::b/*', 'arn:aws:s3:::b/k/1', false)).toBe(true);
    expect(globMatches('arn:aws:s3:::b/*', 'arn:aws:s3:::bx/k', false)).toBe(false);
    expect(globMatches('arn:x:secret:k-??????', 'arn:x:secret:k-AbCdEf', false)).toBe(true);
    expect(globMatches('arn:x:secret:k-??????', 'arn:x:secret:k-AbCdE', false)).toBe(false);
    expect(globMatches('sqs:sendmessage', 'sqs:SendMessage', true)).toBe(true);
    expect(globMatches('sqs:Send*', 'sqs:SendMessage', true)).toBe(true);
    expect(globMatches('a.b', 'aXb', false)).toBe(false);
  });
});

describe('Function: ungrantedCalls() against the synthesized template', () => {
  const call = (fn: string, action: string, resource: string) => ({
    function: fn,
    action,
    resource,
  });

  it('allows what each role grants: completion sending to its own queue and reading artifacts', () => {
    expect(
      ungrantedCalls([
        call('completion', 'sqs:SendMessage', queue('batchlane-completion')),
        call('completion', 'sqs:ChangeMessageVisibility', queue('batchlane-completion')),
        call(
          'completion',
          's3:GetObject',
          'arn:aws:s3:::batchlane-artifacts/batches/b/parts/1.jsonl',
        ),
        call('collector', 'dynamodb:ConditionCheckItem', table),
        call('poller', 'dynamodb:Query', `${table}/index/active-batches`),
      ]),
    ).toEqual([]);
  });

  it('checks a caller destination as the allow-listed destination of its kind', () => {
    expect(
      ungrantedCalls([
        call('completion', 'sqs:SendMessage', queue('team-results')),
        call('completion', 's3:PutObject', 'arn:aws:s3:::team-bucket/out/1.jsonl'),
      ]),
    ).toEqual([]);
    expect(ungrantedCalls([call('poller', 'sqs:SendMessage', queue('team-results'))])).toEqual([
      `poller calls sqs:SendMessage on ${queue('batchlane-check-caller-queue')} (locally ${queue('team-results')}), which its role Test/Poller/Function/Role does not allow`,
    ]);
  });

  it('checks a variant of a function a test builds (collector-strict) against that function, and skips known refusals', () => {
    expect(
      ungrantedCalls(
        [
          call('collector-strict', 'dynamodb:PutItem', table),
          call('collector', 's3:GetObject', 'arn:aws:s3:::producer-bucket/claims/k.json'),
        ],
        OUTSIDE_CLAIMS,
      ),
    ).toEqual([]);
    expect(
      ungrantedCalls([
        call('collector', 's3:GetObject', 'arn:aws:s3:::producer-bucket/claims/k.json'),
      ]),
    ).toHaveLength(1);
    expect(ungrantedCalls([call('collector-strict', 'sqs:DeleteQueue', queue('x'))])).toEqual([
      `collector-strict calls sqs:DeleteQueue on ${queue('x')}, which its role Test/Collector/Function/Role does not allow`,
    ]);
  });

  it("fails the webhook receiver reading a key of a provider that does not push, as Anthropic's", () => {
    const key = (provider: string) =>
      `arn:aws:secretsmanager:${region}:000000000000:secret:batchlane-${provider}-AbCdEf`;
    expect(
      ungrantedCalls([
        call('receiver', 'secretsmanager:GetSecretValue', key('openai')),
        call('completion', 'secretsmanager:GetSecretValue', key('anthropic')),
      ]),
    ).toEqual([]);
    expect(
      ungrantedCalls([call('receiver', 'secretsmanager:GetSecretValue', key('anthropic'))]),
    ).toEqual([
      `receiver calls secretsmanager:GetSecretValue on ${key('anthropic')}, which its role Test/WebhookReceiver/Function/Role does not allow`,
    ]);
  });

  it('names the function, action and resource of a call no statement allows', () => {
    expect(
      ungrantedCalls([
        call('realtime', 'bedrock:InvokeModel', '*'),
        call('collector', 'dynamodb:Scan', table),
        call('reporter', 's3:GetObject', 'arn:aws:s3:::x/y'),
      ]),
    ).toEqual([
      `collector calls dynamodb:Scan on ${table}, which its role Test/Collector/Function/Role does not allow`,
      'realtime calls bedrock:InvokeModel on *, which its role Test/Realtime/Function/Role does not allow',
      'reporter: no such function in the template (s3:GetObject on arn:aws:s3:::x/y)',
    ]);
  });
});

describe('Function: unexercisedGrants()', () => {
  it('lists a grant until a call uses it, and never the grants listed with a reason', () => {
    const own = `completion sqs:SendMessage ${queue('batchlane-completion')}`;
    expect(unexercisedGrants([])).toContain(own);
    const used = unexercisedGrants([
      {
        function: 'completion',
        action: 'sqs:SendMessage',
        resource: queue('batchlane-completion'),
      },
    ]);
    expect(used).not.toContain(own);
    expect(used.filter((line) => line.includes(' logs:'))).toEqual([]);
  });

  it('fails a known refusal no run made any more, so its entry is removed with its cause', () => {
    expect(staleKnownUngranted([], OUTSIDE_CLAIMS)).toHaveLength(1);
    expect(
      staleKnownUngranted(
        [{ function: 'collector', action: 's3:GetObject', resource: 'arn:aws:s3:::other/k' }],
        OUTSIDE_CLAIMS,
      ),
    ).toEqual([]);
    expect(staleKnownUngranted([])).toEqual([]);
  });
});

describe('Class: AwsCallRecorder with the runtime clients', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('records the commands of clients built for a function, before they reach the network', async () => {
    const recorder = new AwsCallRecorder();
    stop = recorder.observeThisProcess();
    // Nothing listens on port 9: each command fails after the middleware has seen it.
    const env = {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
    };
    const observed = createAwsClients(env, { functionName: 'completion' });
    const unobserved = createAwsClients(env);
    const url = 'http://127.0.0.1:9/000000000000/batchlane-completion';
    const attempts = [
      observed.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{}' })),
      observed.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{}' })),
      observed.documentClient.send(
        new PutCommand({ TableName: 'batchlane-state', Item: { pk: 'a' } }),
      ),
      unobserved.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{}' })),
    ];
    await Promise.allSettled(attempts);
    observed.destroy();
    unobserved.destroy();
    // Each distinct call once, whichever command got there first; the unobserved client not at all.
    const key = (c: { function: string; action: string; resource: string }) =>
      `${c.function} ${c.action} ${c.resource}`;
    expect(recorder.calls().map(key).sort()).toEqual(
      [
        `completion dynamodb:PutItem ${table}`,
        `completion sqs:SendMessage ${queue('batchlane-completion')}`,
      ].sort(),
    );
  });
});
