import { fileURLToPath } from 'node:url';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, profileEnvNames } from '../../shared/config/BatchlaneConfig.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/contract/metrics.js';
import type { ProviderName } from '../../shared/contract/providers.js';
import { CLAIMS_ROOT } from '../../shared/domain/claimCheckLocation.js';
import { LAMBDA_BUNDLING, LAMBDA_NODE_OPTIONS, LAMBDA_NODE_TARGET } from '../lambdaBundling.js';
import type { DestinationAllowList } from './DestinationAllowList.js';
import type { ProviderSecrets } from './ProviderSecrets.js';
import type { RuntimeSettings } from './RuntimeSettings.js';
import type { SharedResources } from './SharedResources.js';
import type { StateTable } from './StateTable.js';
import { wildcardFinding } from './wildcardFinding.js';

/** The repository's lock file: bundling resolves the pinned dependency versions from it. */
const LOCK_FILE = fileURLToPath(new URL('../../package-lock.json', import.meta.url));

/** A complete secret ARN ends in `-` plus the 6 random characters Secrets Manager appends. */
const COMPLETE_SECRET_ARN = /:secret:.+-[A-Za-z0-9]{6}$/;

/** Log levels Powertools Logger understands (`POWERTOOLS_LOG_LEVEL`). */
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

interface BatchFunctionProps {
  /** Absolute path of the handler entry file; it must export `handler`. */
  readonly entry: string;
  /** Shown in the Lambda console. */
  readonly description: string;
  /**
   * Memory in MB; CPU share grows with it.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Hard limit of one invocation. Queues feeding the function derive their visibility timeout from it.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency; `undefined` leaves the function on the account's shared pool.
   * @default - no reservation
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools Logger level (`POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
}

/**
 * A Lambda function with batchlane's defaults (Node 22 on ARM, ESM bundle with every
 * dependency bundled at its pinned version, source maps, an explicit log group with retention,
 * a role that can only write its own logs, an errors alarm), plus `bind*` helpers that set an
 * environment variable and the IAM grant it needs in one call, so names and permissions agree.
 *
 * @example
 * const fn = new BatchFunction(this, 'Poller', { entry, description: 'Polls batches' });
 * fn.bindTable(stateTable); // sets BATCHLANE_TABLE_NAME and grants item read/write
 */
class BatchFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;
  /** Fires when an invocation fails as a whole (thrown error, timeout, out of memory). */
  public readonly errorsAlarm: Alarm;

  public constructor(scope: Construct, id: string, props: BatchFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });

    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to
    // every log group in the account, this one only to the function's own.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      depsLockFilePath: LOCK_FILE,
      environment: {
        NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
        // Powertools reads these when the code does not set them; the code names the same
        // service and namespace, so the alarms find the metrics either way.
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
      },
      bundling: {
        ...LAMBDA_BUNDLING,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        format: OutputFormat.ESM,
        target: LAMBDA_NODE_TARGET,
        // Bundle the SDK too: the runtime's preinstalled SDK version drifts from package-lock.json.
        externalModules: [],
        sourceMap: true,
      },
    });

    this.errorsAlarm = this.function
      .metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })
      .createAlarm(this, 'ErrorsAlarm', {
        alarmDescription: `${props.description}: invocations failed as a whole (thrown error, timeout or out of memory).`,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'batchlane pins the nodejs22.x runtime: the bundle targets node22 and is tested on Node 20/22; moving to nodejs24.x is a deliberate upgrade, not drift.',
    });
  }

  /**
   * Binds what a function on the batch path reaches: the state table, the bucket (read and
   * write, writes and claim reads only, or nothing here), the event bus, the provider secrets
   * and the settings.
   */
  public bindBatchPath(
    resources: SharedResources,
    bucketAccess: 'readWrite' | 'writesAndClaimReads' | 'apart',
  ): void {
    this.bindTable(resources.stateTable);
    if (bucketAccess === 'readWrite') this.bindBucket(resources.bucket);
    if (bucketAccess === 'writesAndClaimReads') {
      this.bindBucketWritesAndClaimReads(resources.bucket);
    }
    this.bindEventBus(resources.eventBus);
    this.bindProviderSecrets(resources.providerSecrets);
    this.bindSettings(resources.settings);
  }

  /**
   * Sets `BATCHLANE_TABLE_NAME` and grants item read/write on the table plus queries on its
   * indexes, each named (no `index/*`). Scan and stream actions are left out on purpose.
   */
  public bindTable(stateTable: StateTable): void {
    const { table } = stateTable;
    this.function.addEnvironment(ENV.tableName, table.tableName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DescribeTable',
        ],
        resources: [table.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:Query'],
        resources: stateTable.indexNames.map((name) => `${table.tableArn}/index/${name}`),
      }),
    );
  }

  /**
   * Sets `BATCHLANE_BUCKET_NAME` and grants object read/write under the whole bucket:
   * artifact keys embed batch ids only known at run time. This covers every prefix the
   * runtime uses: `batches/` (input files, archived results), result pointers of oversized
   * results, and `claims/` (claim-check request bodies the collector reads).
   */
  public bindBucket(bucket: IBucket): void {
    this.function.addEnvironment(ENV.bucketName, bucket.bucketName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        // DeleteObject: temporary objects (trimmed batch inputs) are removed once used.
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    // ListBucket turns a missing key into 404 instead of 403, which the runtime needs to tell
    // "not written yet" from "not allowed".
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
      }),
    );
    Validations.of(this).acknowledge({
      id: wildcardFinding(this, bucket.arnForObjects('*')),
      reason:
        'Artifact object keys contain batch ids created at run time; access is limited to the objects of the batchlane artifacts bucket.',
    });
  }

  /**
   * The collector's share of the bucket: sets `BATCHLANE_BUCKET_NAME` and grants writing
   * objects (batch parts, realtime request bodies, result pointers) but reading only the
   * claim-check prefix, so a `body_s3_uri` can never make it read a batch, a parked result
   * or an archived provider file. No `s3:ListBucket`: a missing claim check reads as
   * AccessDenied, which the runtime treats exactly like a missing one.
   */
  public bindBucketWritesAndClaimReads(bucket: IBucket): void {
    this.function.addEnvironment(ENV.bucketName, bucket.bucketName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    const claims = bucket.arnForObjects(`${CLAIMS_ROOT}*`);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:GetObject'], resources: [claims] }),
    );
    Validations.of(this).acknowledge({
      id: wildcardFinding(this, bucket.arnForObjects('*')),
      reason:
        'Batch part keys contain batch ids created at run time; the collector only writes objects of the batchlane artifacts bucket.',
    });
    Validations.of(this).acknowledge({
      id: wildcardFinding(this, claims),
      reason:
        'Claim-check keys are chosen by producers under claims/; the collector reads that prefix of the batchlane artifacts bucket and nothing else.',
    });
  }

  /** Sets `BATCHLANE_EVENT_BUS_NAME` and grants `events:PutEvents` on that bus only. */
  public bindEventBus(bus: IEventBus): void {
    this.function.addEnvironment(ENV.eventBusName, bus.eventBusName);
    bus.grantPutEventsTo(this.function);
  }

  /** Sets `BATCHLANE_COMPLETION_QUEUE_URL` and grants `sqs:SendMessage` on that queue. */
  public bindCompletionQueueSend(queue: IQueue): void {
    this.function.addEnvironment(ENV.completionQueueUrl, queue.queueUrl);
    queue.grantSendMessages(this.function);
  }

  /**
   * Sets `BATCHLANE_INTAKE_QUEUE_URL` and grants `sqs:SendMessage` on the intake queue: the
   * collector sends requests held by admission back to it with a delay.
   */
  public bindIntakeQueueSend(queue: IQueue): void {
    this.function.addEnvironment(ENV.intakeQueueUrl, queue.queueUrl);
    queue.grantSendMessages(this.function);
  }

  /** Sets `BATCHLANE_REALTIME_QUEUE_URL` and grants `sqs:SendMessage` on that queue. */
  public bindRealtimeQueueSend(queue: IQueue): void {
    this.function.addEnvironment(ENV.realtimeQueueUrl, queue.queueUrl);
    queue.grantSendMessages(this.function);
  }

  /**
   * Sets `BATCHLANE_COMPLETION_QUEUE_URL` without any grant. The shared configuration loader
   * requires the variable in every function, but not every function sends to the queue.
   */
  public bindCompletionQueueUrlOnly(queue: IQueue): void {
    this.function.addEnvironment(ENV.completionQueueUrl, queue.queueUrl);
  }

  /**
   * Sets `BATCHLANE_PROVIDERS` and, per enabled provider, its secret ARN variable, and grants
   * read on those secrets only. `only` narrows both to the providers the function calls (the
   * webhook receiver reads only the batches of providers that push): the others' keys are
   * neither named nor readable.
   */
  public bindProviderSecrets(
    secrets: ProviderSecrets,
    options: { readonly only?: readonly ProviderName[] } = {},
  ): void {
    const providers = secrets.enabledProviders.filter(
      (provider) => options.only === undefined || options.only.includes(provider),
    );
    this.function.addEnvironment(ENV.enabledProviders, providers.join(','));
    if (secrets.profileOverridesJson !== undefined) {
      this.function.addEnvironment(ENV.providerProfiles, secrets.profileOverridesJson);
    }
    const bind = (provider: ProviderName, variable: string): void => {
      const secret = providers.includes(provider) ? secrets.secretFor(provider) : undefined;
      if (secret === undefined) return;
      this.function.addEnvironment(variable, secret.secretArn);
      secret.grantRead(this.function);
    };
    bind('anthropic', ENV.anthropicSecretArn);
    bind('openai', ENV.openaiSecretArn);
    bind('gemini', ENV.geminiSecretArn);
    bind('mistral', ENV.mistralSecretArn);
    bind('deepseek', ENV.deepseekSecretArn);
    for (const id of secrets.profileIds) bind(id, profileEnvNames(id).secretArn);
  }

  /**
   * Sets the plain settings every handler reads (no grants involved); settings the deployment
   * left unset are left out, so the runtime's defaults apply. With a price table override,
   * synth fails if the function's variables would pass Lambda's 4 KB limit.
   */
  public bindSettings(settings: RuntimeSettings): void {
    this.function.addEnvironment(
      ENV.idempotencyTtlSeconds,
      String(settings.idempotencyTtl.toSeconds()),
    );
    this.function.addEnvironment(ENV.pollIntervalSeconds, String(settings.pollRate.toSeconds()));
    this.function.addEnvironment(ENV.maxAttempts, String(settings.maxAttempts));
    this.function.addEnvironment(ENV.leaseSeconds, String(settings.lease.toSeconds()));
    this.function.addEnvironment(
      ENV.publishRequestEvents,
      settings.publishRequestEvents ? 'true' : 'false',
    );
    if (settings.defaultDestination !== undefined) {
      this.function.addEnvironment(
        ENV.defaultDestination,
        JSON.stringify(settings.defaultDestination),
      );
    }
    const { priceTableOverride, quotas } = settings;
    const optional: readonly (readonly [string, string | undefined])[] = [
      [ENV.priceTable, priceTableOverride && JSON.stringify(priceTableOverride)],
      [ENV.costTagKey, settings.costTagKey],
      [ENV.autoBatchWindowSeconds, settings.autoBatchWindow?.toSeconds().toString()],
      [ENV.autoMarginSeconds, settings.autoMargin?.toSeconds().toString()],
      [ENV.escalateBeforeDeadlineSeconds, settings.escalateBeforeDeadline?.toSeconds().toString()],
      [ENV.batchMaxAgeSeconds, settings.batchMaxAge?.toSeconds().toString()],
      [ENV.quotas, quotas && JSON.stringify(quotas)],
      [ENV.quotaRetrySeconds, settings.quotaRetry?.toSeconds().toString()],
      [ENV.budgetDailyUsd, settings.budgetDailyUsd?.toString()],
      [ENV.budgetMonthlyUsd, settings.budgetMonthlyUsd?.toString()],
      [ENV.unpricedCeilingUsdPerMTok, settings.unpricedCeilingUsdPerMTok?.toString()],
      [
        ENV.producerNamespaces,
        settings.producerNamespaces && JSON.stringify(settings.producerNamespaces),
      ],
    ];
    for (const [name, value] of optional) {
      if (value !== undefined) this.function.addEnvironment(name, value);
    }
    // Lambda refuses a function whose variables, measured as one JSON object, pass 4 KB; the
    // price table override and the provider profiles (a deployment's own carry their prices)
    // are the variables that can grow that large. Checked when the
    // stack is synthesized, once every bind* call has added its variables. References to
    // other resources (names, queue URLs, ARNs) resolve at deploy time: each is counted at
    // about the length of a long queue URL, pseudo parameters (region, partition) at 16.
    const limitBytes = 4096;
    const referenceBytes = 128;
    const pseudoParameterBytes = 16;
    const estimated = (value: unknown): string => {
      if (typeof value === 'string') return value;
      if (typeof value !== 'object' || value === null) return String(value);
      const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      if (join !== undefined) return join[1].map(estimated).join(join[0]);
      const ref = (value as { Ref?: unknown }).Ref;
      const pseudo = typeof ref === 'string' && ref.startsWith('AWS::');
      return 'x'.repeat(pseudo ? pseudoParameterBytes : referenceBytes);
    };
    const cfnFunction = this.function.node.defaultChild;
    this.node.addValidation({
      validate: () => {
        if (!(cfnFunction instanceof CfnFunction)) return [];
        const resolved = Stack.of(this).resolve(cfnFunction.environment) as
          | { variables?: Record<string, unknown> }
          | undefined;
        const variables = Object.entries(resolved?.variables ?? {}).map(
          ([name, value]) => [name, estimated(value)] as const,
        );
        const bytes = Buffer.byteLength(JSON.stringify(Object.fromEntries(variables)));
        if (bytes <= limitBytes) return [];
        const sizeOf = (name: string): number =>
          Buffer.byteLength(JSON.stringify(variables.find(([key]) => key === name)?.[1] ?? ''));
        const profilesBytes = sizeOf(ENV.providerProfiles);
        if (priceTableOverride === undefined || profilesBytes > sizeOf(ENV.priceTable)) {
          return [
            `providerProfiles is too large: the environment variables of ${this.node.path} would take about ${bytes} bytes, over Lambda's limit of ${limitBytes} bytes per function (${ENV.providerProfiles} alone takes ${profilesBytes}). Keep each profile's prices to the models in use, and leave out optional fields such as source notes.`,
          ];
        }
        const overrideBytes = Buffer.byteLength(JSON.stringify(JSON.stringify(priceTableOverride)));
        return [
          `priceTableOverride is too large: the environment variables of ${this.node.path} would take about ${bytes} bytes, over Lambda's limit of ${limitBytes} bytes per function (${ENV.priceTable} alone takes ${overrideBytes}). Override only the entries that differ from the shipped price table, and leave out optional fields such as source notes.`,
        ];
      },
    });
  }

  /**
   * Sets `BATCHLANE_WEBHOOK_SECRET_ARNS` (the Secrets Manager secret of each webhook host)
   * and grants `secretsmanager:GetSecretValue` on exactly those secrets (a partial ARN, without
   * the 6 random characters Secrets Manager appends, is matched as `<arn>-??????`). Without
   * any, nothing is set or granted and the function refuses webhook destinations.
   */
  public bindWebhookSecrets(secretArnsByHost: Readonly<Record<string, string>>): void {
    const entries = Object.entries(secretArnsByHost);
    if (entries.length === 0) return;
    this.function.addEnvironment(
      ENV.webhookSecretArns,
      JSON.stringify(Object.fromEntries(entries)),
    );
    const resources = [...new Set(entries.map(([, arn]) => arn))].map((arn) =>
      COMPLETE_SECRET_ARN.test(arn) ? arn : `${arn}-??????`,
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources,
      }),
    );
  }

  /**
   * Sets `BATCHLANE_DESTINATION_ALLOW_LIST` and grants sending to exactly the allowed caller
   * destinations (queues, buckets, buses); nothing is granted on `*`.
   */
  public bindDestinations(allowList: DestinationAllowList): void {
    allowList.checkRegion(Stack.of(this));
    this.function.addEnvironment(ENV.destinationAllowList, allowList.entries().join(','));
    const statements = allowList.policyStatements(Stack.of(this));
    for (const statement of statements) {
      this.role.addToPrincipalPolicy(statement);
    }
    for (const resource of allowList.bucketObjectArns(Stack.of(this))) {
      Validations.of(this).acknowledge({
        id: wildcardFinding(this, resource),
        reason:
          'Results are written under caller-chosen prefixes of a caller bucket named in the destinationBucketNames allow-list; object access is limited to that bucket.',
      });
    }
    for (const resource of allowList.wildcardArns()) {
      Validations.of(this).acknowledge({
        id: wildcardFinding(this, resource),
        reason:
          'The operator allow-listed these queues or buses by an ARN prefix ending in *; the runtime applies the same prefix.',
      });
    }
  }
}

export { BatchFunction, type BatchFunctionProps, LOG_LEVELS, type LogLevel };
