/**
 * `fetch` options for a request whose body is streamed. Node's fetch (undici 6) copies every
 * request in case it is redirected, and the copy tees the body: the branch nobody reads keeps
 * every chunk sent until the response arrives, so a streamed upload ends up held in memory
 * whole (nodejs/undici#4058). Fetch skips that copy when redirects are errors, which costs
 * nothing here: a streamed body cannot be sent again to follow a redirect anyway, and the
 * batch APIs do not redirect.
 */
const streamingFetchOptions = { redirect: 'error' } as const satisfies RequestInit;

export { streamingFetchOptions };
