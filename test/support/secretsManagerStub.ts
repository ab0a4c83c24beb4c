import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';

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

export { type SecretsManagerStub, startSecretsManagerStub };
