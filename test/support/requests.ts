/**
 * Small, valid intake requests as tests send them: one short question each, its `custom_id`
 * as the prompt, so every result can be told apart by its id.
 */

/** An Anthropic Messages request; `extra` adds request fields (`tier`, `deadline`, ...). */
const anthropicRequest = (
  id: string,
  destination: object,
  extra: Readonly<Record<string, unknown>> = {},
) => ({
  custom_id: id,
  provider: 'anthropic',
  body: { model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: id }] },
  destination,
  ...extra,
});

/** An OpenAI Chat Completions request. */
const openaiRequest = (id: string, destination: object) => ({
  custom_id: id,
  provider: 'openai',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: id }] },
  destination,
});

/** Anthropic and OpenAI requests in turn, so batches of both providers run side by side. */
const mixedRequests = (ids: readonly string[], destination: object) =>
  ids.map((id, i) =>
    i % 2 === 0 ? anthropicRequest(id, destination) : openaiRequest(id, destination),
  );

/** `count` ids `<prefix>-0`, `<prefix>-1`, ... */
const idsOf = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

export { anthropicRequest, idsOf, mixedRequests, openaiRequest };
