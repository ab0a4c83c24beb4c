import { Stack, Validations } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import { BEDROCK_JOB_EVENT, ENDED_JOB_STATUSES } from '../../shared/domain/bedrockJobs.js';
import type { BatchFunction } from './BatchFunction.js';
import { wildcardFinding } from './wildcardFinding.js';

interface BedrockBatchAccessProps {
  /** The artifacts bucket: job input is written under `bedrock/`, and output read from there. */
  readonly bucket: IBucket;
  /**
   * The models the deployment runs on Bedrock: base model ids, system inference profile ids
   * (`us.…`, `global.…`) or ARNs. Every grant is scoped to them.
   */
  readonly models: readonly string[];
  /** Functions that create, read and stop jobs (completion, poller). */
  readonly jobFunctions: readonly BatchFunction[];
  /** Functions that call `InvokeModel` (the realtime worker). */
  readonly invokeFunctions: readonly BatchFunction[];
  /** Where ended jobs are handed over: the completion queue. */
  readonly completionQueue: IQueue;
}

/** Where jobs' files live in the artifacts bucket (the adapter's default prefix). */
const BEDROCK_PREFIX = 'bedrock/';

const SYSTEM_PROFILE = /^(us|eu|apac|global|us-gov|jp|au|ca)\.(.+)$/;

/**
 * The ARNs a model grant names. A base model id is a foundation model in this Region; a system
 * inference profile is the profile, plus its model in every Region the profile routes to; an
 * ARN is taken as given (with, for a profile ARN, the same routed models).
 */
const modelArnsOf = (stack: Stack, model: string): string[] => {
  const foundation = (id: string, region: string): string =>
    `arn:${stack.partition}:bedrock:${region}::foundation-model/${id}`;
  if (model.startsWith('arn:')) {
    const id = model.slice(model.lastIndexOf('/') + 1);
    const profile = SYSTEM_PROFILE.exec(id);
    return profile === null ? [model] : [model, foundation(profile[2] ?? id, '*')];
  }
  const profile = SYSTEM_PROFILE.exec(model);
  if (profile === null) return [foundation(model, stack.region)];
  return [
    `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:inference-profile/${model}`,
    foundation(profile[2] ?? model, '*'),
  ];
};

/** Acknowledges cdk-nag's wildcard finding for each of `resources` that has a wildcard. */
const acknowledge = (scope: Construct, resources: readonly string[], reason: string): void => {
  for (const resource of resources) {
    if (!resource.includes('*')) continue;
    Validations.of(scope).acknowledge({
      id: resource === '*' ? 'AwsSolutions-IAM5[Resource::*]' : wildcardFinding(scope, resource),
      reason,
    });
  }
};

/**
 * Amazon Bedrock batch inference for the deployment: the service role Bedrock assumes (trusted
 * only for this account's model-invocation jobs, reading and writing only the bucket's
 * `bedrock/` prefix), the functions' grants on the named models and on jobs, `iam:PassRole`
 * for that role only, and the rule that hands each ended job to completion (the poller still
 * polls, should an event be missed).
 */
class BedrockBatchAccess extends Construct {
  public readonly serviceRole: Role;
  public readonly jobEndedRule: Rule;

  public constructor(scope: Construct, id: string, props: BedrockBatchAccessProps) {
    super(scope, id);
    if (props.models.length === 0) {
      throw new Error('BedrockBatchAccess: name at least one model (context key bedrockModels)');
    }
    const stack = Stack.of(this);
    const jobArns = `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:model-invocation-job/*`;
    const modelArns = [...new Set(props.models.flatMap((model) => modelArnsOf(stack, model)))];
    const prefixObjects = props.bucket.arnForObjects(`${BEDROCK_PREFIX}*`);

    this.serviceRole = new Role(this, 'ServiceRole', {
      description: 'Assumed by Amazon Bedrock to run batchlane batch inference jobs',
      assumedBy: new ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': jobArns },
        },
      }),
    });
    this.serviceRole.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [prefixObjects],
      }),
    );
    this.serviceRole.addToPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${BEDROCK_PREFIX}*`] } },
      }),
    );
    // A job on an inference profile invokes the model in the Regions the profile routes to.
    this.serviceRole.addToPolicy(
      new PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: modelArns }),
    );

    for (const fn of props.jobFunctions) {
      fn.function.addEnvironment(ENV.bedrockRoleArn, this.serviceRole.roleArn);
      fn.role.addToPolicy(
        new PolicyStatement({
          actions: ['bedrock:CreateModelInvocationJob'],
          resources: [...modelArns, jobArns],
        }),
      );
      fn.role.addToPolicy(
        new PolicyStatement({
          actions: [
            'bedrock:GetModelInvocationJob',
            'bedrock:StopModelInvocationJob',
            'bedrock:TagResource',
          ],
          resources: [jobArns],
        }),
      );
      // Listing has no resource to scope it to (Bedrock's authorization reference).
      fn.role.addToPolicy(
        new PolicyStatement({ actions: ['bedrock:ListModelInvocationJobs'], resources: ['*'] }),
      );
      fn.role.addToPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['iam:PassRole'],
          resources: [this.serviceRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
        }),
      );
      acknowledge(
        fn,
        [jobArns, '*', ...modelArns],
        'Bedrock job ARNs end in an id Bedrock assigns at create; ListModelInvocationJobs supports no resource; models routed by an inference profile are granted in every Region it may route to',
      );
    }
    for (const fn of props.invokeFunctions) {
      fn.function.addEnvironment(ENV.bedrockRoleArn, this.serviceRole.roleArn);
      fn.role.addToPolicy(
        new PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: modelArns }),
      );
      acknowledge(
        fn,
        modelArns,
        'models routed by an inference profile are granted in every Region it may route to',
      );
    }
    acknowledge(
      this,
      [prefixObjects, ...modelArns],
      'Bedrock reads job input and writes job output under the bedrock/ prefix, with object names it chooses; profile-routed models in every Region',
    );

    // Bedrock publishes job state changes on the account's default bus.
    this.jobEndedRule = new Rule(this, 'JobEndedRule', {
      description: 'Hands each ended Bedrock batch inference job to batchlane completion',
      eventBus: EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      eventPattern: {
        source: [BEDROCK_JOB_EVENT.source],
        detailType: [BEDROCK_JOB_EVENT.detailType],
        detail: { status: [...ENDED_JOB_STATUSES], batchJobName: [{ prefix: 'batchlane-' }] },
      },
      targets: [new SqsQueue(props.completionQueue)],
    });
  }
}

export { BEDROCK_PREFIX, BedrockBatchAccess, type BedrockBatchAccessProps, modelArnsOf };
