/** A recorded HTTP call made by an SDK client through {@link fakeFetch}. */
interface RecordedCall {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: unknown;
}

type Route = (call: RecordedCall) => Response | Promise<Response>;

const json = (value: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

/**
 * A `fetch` for SDK clients that answers from `routes` (keyed `METHOD /path`) and records
 * every call, so adapter logic is tested without a network.
 */
const fakeFetch = (routes: Record<string, Route>) => {
  const calls: RecordedCall[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    // The OpenAI SDK probes `fetch('data:,')` once to learn its Response class.
    if (url.protocol === 'data:') return globalThis.fetch(url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const raw = init?.body;
    const body =
      typeof raw === 'string' ? JSON.parse(raw) : raw instanceof FormData ? raw : (raw ?? null);
    const call = { method, url, headers: new Headers(init?.headers), body };
    calls.push(call);
    const route = routes[`${method} ${url.pathname}`];
    if (route === undefined) return json({ error: { message: 'no route' } }, 404);
    return route(call);
  };
  return { fetch, calls };
};

export { fakeFetch, json, type RecordedCall };
