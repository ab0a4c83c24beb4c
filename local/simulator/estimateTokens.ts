/**
 * Rough token counting: about four characters per token over every string in a value, which
 * is close enough for cost arithmetic in tests and grows with prompt length like the real
 * tokenizers do.
 */
const estimateTokens = (value: unknown): number => Math.ceil(countChars(value) / 4);

const countChars = (value: unknown): number => {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + countChars(item), 0);
  if (typeof value === 'object' && value !== null) {
    let sum = 0;
    for (const [key, item] of Object.entries(value)) {
      // Structural keys such as `type` or `cache_control` are not prompt text.
      if (key !== 'type' && key !== 'cache_control' && key !== 'role') sum += countChars(item);
    }
    return sum;
  }
  return 0;
};

const WORDS = [
  'the',
  'batch',
  'result',
  'model',
  'summary',
  'section',
  'data',
  'report',
  'analysis',
  'of',
  'and',
  'request',
  'response',
  'value',
  'context',
  'shows',
  'that',
  'a',
  'clear',
  'trend',
  'in',
  'each',
  'item',
  'with',
  'cost',
  'lower',
  'higher',
  'final',
  'key',
  'point',
  'is',
  'for',
  'review',
  'note',
  'overall',
  'input',
  'output',
  'steady',
  'growth',
  'signal',
] as const;

/** `count` pseudo-words (one token each) from a seeded PRNG. */
const fakeText = (rng: () => number, count: number): string => {
  const words: string[] = [];
  for (let i = 0; i < count; i += 1) {
    words.push(WORDS[Math.floor(rng() * WORDS.length)] ?? 'data');
  }
  const text = words.join(' ');
  return text.length > 0 ? `${text.charAt(0).toUpperCase()}${text.slice(1)}.` : text;
};

/** How many output tokens a simulated answer has: grows with the prompt, capped by the limit. */
const outputTokensFor = (rng: () => number, inputTokens: number): number =>
  8 + Math.floor(rng() * 40) + Math.min(2000, Math.floor(inputTokens / 20));

export { estimateTokens, fakeText, outputTokensFor };
