import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  type ProfileOverride,
  type ProviderProfile,
  type ProviderProfileInput,
  resolveProfiles,
} from '../../shared/contract/providerProfile.js';
import {
  DEFAULT_ENABLED_PROVIDERS,
  isBuiltInProvider,
  type ProviderName,
} from '../../shared/contract/providers.js';

/** A complete secret ARN ends in `-` plus the 6 random characters Secrets Manager appends. */
const COMPLETE_ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;

interface ProviderSecretsProps {
  /**
   * Providers this deployment talks to; only these get a secret and an environment variable.
   * @default ['anthropic', 'openai']
   */
  readonly enabledProviders?: readonly ProviderName[];
  /**
   * ARN of an existing secret holding the Anthropic API key.
   * @default - a new secret is created and the key must be put into it after deploying
   */
  readonly anthropicSecretArn?: string;
  /**
   * ARN of an existing secret holding the OpenAI API key.
   * @default - a new secret is created and the key must be put into it after deploying
   */
  readonly openaiSecretArn?: string;
  /**
   * ARN of an existing secret holding the Gemini API key (used when `gemini` is enabled).
   * @default - a new secret is created and the key must be put into it after deploying
   */
  readonly geminiSecretArn?: string;
  /**
   * ARN of an existing secret holding the Mistral API key (used when `mistral` is enabled).
   * @default - a new secret is created and the key must be put into it after deploying
   */
  readonly mistralSecretArn?: string;
  /**
   * ARN of an existing secret holding the DeepSeek API key (used when `deepseek` is enabled).
   * @default - a new secret is created and the key must be put into it after deploying
   */
  readonly deepseekSecretArn?: string;
  /**
   * The deployment's profiles (CDK context `providerProfiles`): changes to built-in ones, and
   * whole profiles of its own under new ids. An enabled profile's key is read from the
   * secret its profile names (`key.secretName`), which is created by hand before deploying.
   * @default the built-in profiles
   */
  readonly profileOverrides?: readonly (ProfileOverride | ProviderProfileInput)[];
}

/**
 * One Secrets Manager secret per enabled provider holding its API key, either referenced by
 * ARN or created here holding `{"apiKey":""}`: the runtime reports such a secret as empty
 * (naming its ARN) instead of calling the provider with a made-up key. Put the real key with
 * `aws secretsmanager put-secret-value --secret-string '{"apiKey":"..."}'` (or the bare key).
 */
class ProviderSecrets extends Construct {
  public readonly enabledProviders: readonly ProviderName[];
  /** Providers whose secret was created here (their key must be put after deploying). */
  public readonly createdFor: readonly ProviderName[];
  /** The profiles' entries as the functions read them (`BATCHLANE_PROVIDER_PROFILES`), if any. */
  public readonly profileOverridesJson: string | undefined;
  /** Every profile's id, built in or the deployment's own (enabled or not). */
  public readonly profileIds: readonly ProviderName[];
  /** Every profile: the built-in ones as the deployment's changes leave them, and its own. */
  public readonly profiles: Readonly<Record<string, ProviderProfile>>;
  readonly #secrets: ReadonlyMap<ProviderName, ISecret>;

  public constructor(scope: Construct, id: string, props: ProviderSecretsProps = {}) {
    super(scope, id);
    this.enabledProviders = props.enabledProviders ?? DEFAULT_ENABLED_PROVIDERS;
    if (this.enabledProviders.length === 0) {
      throw new Error('ProviderSecrets: enabledProviders must name at least one provider');
    }
    const arns: Partial<Record<ProviderName, string>> = {
      ...(props.anthropicSecretArn === undefined ? {} : { anthropic: props.anthropicSecretArn }),
      ...(props.openaiSecretArn === undefined ? {} : { openai: props.openaiSecretArn }),
      ...(props.geminiSecretArn === undefined ? {} : { gemini: props.geminiSecretArn }),
      ...(props.mistralSecretArn === undefined ? {} : { mistral: props.mistralSecretArn }),
      ...(props.deepseekSecretArn === undefined ? {} : { deepseek: props.deepseekSecretArn }),
    };
    const applied = resolveProfiles(props.profileOverrides ?? []);
    if (!applied.ok) {
      throw new Error(`ProviderSecrets: providerProfiles: ${applied.issues.join('; ')}`);
    }
    const profiles: Readonly<Record<string, ProviderProfile>> = applied.profiles;
    this.profiles = profiles;
    this.profileIds = Object.keys(profiles);
    const unknown = this.enabledProviders.filter(
      (provider) => !isBuiltInProvider(provider) && profiles[provider] === undefined,
    );
    if (unknown.length > 0) {
      throw new Error(
        `ProviderSecrets: enabledProviders names ${unknown.join(', ')}, neither built in nor a profile in providerProfiles`,
      );
    }
    this.profileOverridesJson =
      props.profileOverrides === undefined || props.profileOverrides.length === 0
        ? undefined
        : JSON.stringify(props.profileOverrides);
    const secrets = new Map<ProviderName, ISecret>();
    const createdFor: ProviderName[] = [];
    for (const provider of this.enabledProviders) {
      // Bedrock is called with the functions' own IAM role: there is no key to keep.
      if (provider === 'bedrock') continue;
      const profile = profiles[provider];
      if (profile !== undefined) {
        // The profile names its secret; the operator creates it with the key (deploy.md).
        const { secretName } = profile.key;
        secrets.set(provider, Secret.fromSecretNameV2(this, provider, secretName));
        continue;
      }
      const arn = arns[provider];
      if (arn === undefined) {
        secrets.set(provider, this.#createSecret(provider));
        createdFor.push(provider);
      } else if (COMPLETE_ARN_SUFFIX.test(arn)) {
        secrets.set(provider, Secret.fromSecretCompleteArn(this, provider, arn));
      } else {
        // Without the suffix, grants must match "<arn>-??????".
        secrets.set(provider, Secret.fromSecretPartialArn(this, provider, arn));
      }
    }
    this.#secrets = secrets;
    this.createdFor = createdFor;
  }

  /** The secret of `provider`, or `undefined` when the provider is not enabled. */
  public secretFor(provider: ProviderName): ISecret | undefined {
    return this.#secrets.get(provider);
  }

  #createSecret(provider: ProviderName): Secret {
    const secret = new Secret(this, provider, {
      description: `batchlane: ${provider} API key, as {"apiKey":"..."} or the bare key`,
      // Not a secret: an explicitly empty key, which the runtime reports clearly.
      secretObjectValue: { apiKey: SecretValue.unsafePlainText('') },
      // The key is put by hand; deleting the stack must not throw it away.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: `The ${provider} API key is issued in the provider's console; no API exists that a rotation function could call to create a new one, so it is rotated by hand.`,
    });
    return secret;
  }
}

export { ProviderSecrets, type ProviderSecretsProps };
