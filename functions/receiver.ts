import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import {
  createReceiverRuntime,
  type ReceiverRuntime,
} from '../shared/composition/createReceiverRuntime.js';
import { isRetryable } from '../shared/domain/errors.js';
import { createWebhookReceiver } from '../shared/usecases/createWebhookReceiver.js';

type ReceiverHandler = (
  event: LambdaFunctionURLEvent,
  context: Context,
) => Promise<LambdaFunctionURLResult>;

const answer = (statusCode: number, code: string): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ code }),
});

/**
 * The public webhook receiver (a Lambda function URL): `POST /<provider>` with a provider's
 * signed batch webhook. Answers as soon as the batch is handed to completion; a failure that
 * may pass answers 5xx, so the provider delivers again.
 *
 * A factory as well as `handler`, so tests and the local stack can hand it their own runtime.
 */
const makeReceiverHandler = ({ runtime, deps }: ReceiverRuntime): ReceiverHandler => {
  const receive = createWebhookReceiver(deps);
  return async (event, context) => {
    runtime.logger.addContext(context);
    try {
      if (event.requestContext.http.method !== 'POST') return answer(405, 'method_not_allowed');
      const headers = Object.fromEntries(
        Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
      );
      const body =
        event.body === undefined
          ? ''
          : event.isBase64Encoded
            ? Buffer.from(event.body, 'base64').toString('utf8')
            : event.body;
      const provider = event.rawPath.replace(/^\/+|\/+$/g, '');
      const outcome = await receive({ provider, headers, body });
      return answer(outcome.status, outcome.code);
    } catch (error) {
      const retryable = isRetryable(error);
      runtime.logger.error('webhook not handled; the provider will deliver it again', { error });
      return answer(retryable ? 503 : 500, 'not_handled');
    } finally {
      runtime.flushMetrics();
    }
  };
};

const handler = makeReceiverHandler(await createReceiverRuntime(process.env));

export { handler, makeReceiverHandler, type ReceiverHandler };
