import type { ProviderEndpoint, ProviderName } from '../contract/providers.js';

const toJsonLine = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/**
 * One request as a line of the provider's batch input JSONL, without the trailing newline.
 *
 * - Anthropic: `{"custom_id","params"}` (the Message Batches `requests[]` item; the endpoint
 *   is implied, so it is not written).
 * - OpenAI: `{"custom_id","method":"POST","url","body"}`, where `url` must equal the batch's
 *   `endpoint`.
 * - Gemini: `{"custom_id","body"}`, the producer's `GenerateContentRequest` with its model.
 *   The Gemini adapter turns it into the API's own line (`{"key","request"}`) or inline
 *   request (`{"request","metadata":{"key"}}`) as it submits, so every stored line starts
 *   with its `custom_id` and the body can be read back (escalation) like the others.
 * - Bedrock: `{"custom_id","modelInput"}`: the Bedrock record with batchlane's id first, like
 *   every other line; the adapter names it `recordId` as it writes the job's input file.
 * - Mistral: `{"custom_id","body"}`, Mistral's own batch line (the model, in the body, is
 *   also named once on the job).
 *
 * `JSON.stringify` never emits a raw CR or LF. U+2028/U+2029 are left raw by it but count as
 * line breaks for some line splitters (e.g. Python's `splitlines`), so they are escaped too:
 * the result is exactly one line for any reader.
 */
const formatProviderLine = (
  provider: ProviderName,
  endpoint: ProviderEndpoint,
  providerCustomId: string,
  body: Record<string, unknown>,
): string => {
  switch (provider) {
    case 'anthropic':
      return toJsonLine({ custom_id: providerCustomId, params: body });
    case 'openai':
      return toJsonLine({ custom_id: providerCustomId, method: 'POST', url: endpoint, body });
    case 'gemini':
      return toJsonLine({ custom_id: providerCustomId, body });
    case 'bedrock':
      return toJsonLine({ custom_id: providerCustomId, modelInput: body });
    case 'mistral':
      return toJsonLine({ custom_id: providerCustomId, body });
    case 'deepseek':
      // Never written to a batch (DeepSeek has none); measured for size like OpenAI's lines.
      return toJsonLine({ custom_id: providerCustomId, method: 'POST', url: endpoint, body });
    default:
      // Provider profiles store OpenAI's line; the adapter writes the profile's own as it
      // submits (Together drops method and url, Azure names the deployment).
      return toJsonLine({ custom_id: providerCustomId, method: 'POST', url: endpoint, body });
  }
};

export { formatProviderLine };
