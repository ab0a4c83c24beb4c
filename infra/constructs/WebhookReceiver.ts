import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import { FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import { PUSH_ENV } from '../../shared/config/pushConfig.js';
import { WEBHOOK_PROVIDERS, type WebhookProvider } from '../../shared/contract/providerPush.js';
import { BatchFunction, type LogLevel } from './BatchFunction.js';
import type { SharedResources } from './SharedResources.js';

const DEFAULT_ENTRY = fileURLToPath(new URL('../../functions/receiver.ts', import.meta.url));

/** A complete secret ARN ends in `-` plus the 6 random characters Secrets Manager appends. */
const COMPLETE_ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;

interface WebhookReceiverProps {
  readonly resources: SharedResources;
  /** Queue that receives `{ batch_id }` when a provider batch ends. */
  readonly completionQueue: IQueue;
  /**
   * ARN of an existing secret holding each provider's webhook signing secret (`whsec_…`, or
   * `{"current": …, "previous": …}` during a rotation).
   * @default - a secret is created per enabled webhook provider, to be filled after deploying
   */
  readonly secretArns?: Readonly<Partial<Record<WebhookProvider, string>>>;
  /**
   * Most concurrent executions: the URL is public, so a flood of (refused) requests can cost
   * at most this much capacity. Genuine webhooks are one per ended batch.
   * @default 5
   */
  readonly maxConcurrency?: number;
  readonly logLevel?: LogLevel;
  /** @default - `functions/receiver.ts` of this repository */
  readonly entry?: string;
}

/**
 * The public receiver of providers' batch webhooks: a Lambda function URL (no API Gateway:
 * one route, verification is the signature, and a URL costs nothing while idle). Enabled
 * webhook providers (OpenAI, Gemini) each post to `<url>/<provider>`. Grants: the state
 * table's items (read the batch, write one received-id item per webhook), the API keys of the
 * webhook providers only (to read the batch a webhook names), their webhook secrets,
 * completion queue send. Nothing else: the URL is reachable by anyone.
 */
class WebhookReceiver extends Construct {
  public readonly function: BatchFunction;
  public readonly url: FunctionUrl;
  /** The providers whose webhooks this deployment receives. */
  public readonly providers: readonly WebhookProvider[];
  /** Each receiving provider's webhook secret; those created here must be filled by hand. */
  public readonly secrets: ReadonlyMap<WebhookProvider, ISecret>;
  public readonly createdFor: readonly WebhookProvider[];

  public constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    const { resources } = props;
    this.providers = WEBHOOK_PROVIDERS.filter((provider) =>
      resources.providerSecrets.enabledProviders.includes(provider),
    );
    if (this.providers.length === 0) {
      throw new Error('WebhookReceiver: enable openai or gemini, whose batch webhooks it receives');
    }

    this.function = new BatchFunction(this, 'Function', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description:
        'batchlane webhook receiver: hands batches that providers report ended to completion',
      memorySize: 256,
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: props.maxConcurrency ?? 5,
      logLevel: props.logLevel,
    });
    const fn = this.function;
    // The API keys of the providers whose webhooks it receives, to read the batch a webhook
    // names: no other provider's key is named in its environment or readable by its role.
    fn.bindProviderSecrets(resources.providerSecrets, { only: this.providers });
    fn.bindSettings(resources.settings);
    fn.bindCompletionQueueSend(props.completionQueue);
    // Every function's configuration names these; the receiver never calls them.
    fn.function.addEnvironment(ENV.bucketName, resources.bucket.bucketName);
    fn.function.addEnvironment(ENV.eventBusName, resources.eventBus.eventBusName);
    // Reads batches, and writes and deletes its own received-id items: nothing broader.
    const { table } = resources.stateTable;
    fn.function.addEnvironment(ENV.tableName, table.tableName);
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
      }),
    );

    const secrets = new Map<WebhookProvider, ISecret>();
    const createdFor: WebhookProvider[] = [];
    for (const provider of this.providers) {
      const arn = props.secretArns?.[provider];
      if (arn === undefined) {
        secrets.set(provider, this.#createSecret(provider));
        createdFor.push(provider);
      } else if (COMPLETE_ARN_SUFFIX.test(arn)) {
        secrets.set(provider, Secret.fromSecretCompleteArn(this, `${provider}Secret`, arn));
      } else {
        secrets.set(provider, Secret.fromSecretPartialArn(this, `${provider}Secret`, arn));
      }
    }
    for (const secret of secrets.values()) secret.grantRead(fn.function);
    fn.function.addEnvironment(
      PUSH_ENV.secretArns,
      JSON.stringify(
        Object.fromEntries([...secrets].map(([provider, secret]) => [provider, secret.secretArn])),
      ),
    );
    this.secrets = secrets;
    this.createdFor = createdFor;

    this.url = fn.function.addFunctionUrl({
      // Providers cannot sign with SigV4: each webhook is verified by its signature instead.
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
    });
  }

  #createSecret(provider: WebhookProvider): Secret {
    const secret = new Secret(this, `${provider}Secret`, {
      description: `batchlane: the signing secret (whsec_…) of ${provider}'s batch webhook endpoint`,
      // Not a secret: empty until the provider issues one, and until then the receiver refuses
      // every webhook of this provider (the poller still sees its batches end).
      secretObjectValue: { current: SecretValue.unsafePlainText('') },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: `The ${provider} webhook secret is issued by ${provider} when the endpoint is registered (or its secret rotated there); no rotation function can create one. docs/deploy.md describes the rotation.`,
    });
    return secret;
  }
}

export { WebhookReceiver, type WebhookReceiverProps };
