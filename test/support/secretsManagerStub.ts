import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** A Secrets Manager endpoint that answers GetSecretValue from a map, and counts the reads. */
interface SecretsManagerStub {
  readonly endpoint: string;
  /** Stores (or replaces) a secret's value under its ARN. */
  put(arn: string, value: string): void;
  /** GetSecretValue calls so far, by ARN. */
  reads(): readonly string[];
  stop(): Promise<void>;
}

/**
 * Just enough of Secrets Manager's JSON protocol for the webhook secrets adapter, through the
 * official SDK: `GetSecretValue` by ARN, and `ResourceNotFoundException` (HTTP 400, as AWS
 * answers) for an ARN it does not hold.
 */
const startSecretsManagerStub = async (): Promise<SecretsManagerStub> => {
  const secrets = new Map<string, string>();
  const reads: string[] = [];
  const server = createServer((req, res) => {
    void text(req).then((body) => {
      const answer = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        answer(400, { __type: 'InvalidRequestException', message: 'not supported here' });
        return;
      }
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      reads.push(SecretId);
      const value = secrets.get(SecretId);
      if (value === undefined) {
        answer(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      answer(200, { ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'v1' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    put: (arn, value) => secrets.set(arn, value),
    reads: () => [...reads],
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
};

/** An SDK client for a stub (or any local endpoint), failing at once rather than retrying. */
const secretsManagerClientOn = (endpoint: string): SecretsManagerClient =>
  new SecretsManagerClient({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

/** A stub holding one secret per name, with a client on it, as the secrets contracts set up. */
interface StubbedSecrets {
  readonly stub: SecretsManagerStub;
  readonly client: SecretsManagerClient;
  /** The ARN of each name's secret. */
  readonly arns: Record<string, string>;
  /** Destroys the client and stops the stub. */
  close(): Promise<void>;
}

/**
 * Starts a stub holding each name's secrets under `arnOf(name)`: a bare value, or
 * `{"current","previous"}` while a rotation is under way, the two shapes the adapters read.
 */
const startStubbedSecrets = async (
  configured: Readonly<Record<string, readonly (string | undefined)[]>>,
  arnOf: (name: string) => string,
): Promise<StubbedSecrets> => {
  const stub = await startSecretsManagerStub();
  const client = secretsManagerClientOn(stub.endpoint);
  const arns: Record<string, string> = {};
  for (const [name, [current, previous]] of Object.entries(configured)) {
    arns[name] = arnOf(name);
    stub.put(
      arnOf(name),
      previous === undefined ? (current ?? '') : JSON.stringify({ current, previous }),
    );
  }
  return {
    stub,
    client,
    arns,
    close: async () => {
      client.destroy();
      await stub.stop();
    },
  };
};

export {
  type SecretsManagerStub,
  type StubbedSecrets,
  secretsManagerClientOn,
  startSecretsManagerStub,
  startStubbedSecrets,
};
