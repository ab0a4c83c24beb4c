/** batchlane's id for a request inside one provider batch: short, ordered, provider-safe. */
const providerCustomIdOf = (index: number): string => `r${index.toString().padStart(6, '0')}`;

/** Longest id {@link memberIndexOf} reads: `r` and nine digits, an index below 10^9. */
const MAX_CANONICAL_ID_LENGTH = 10;

/**
 * The member number a provider custom id was made from (`r000042` → 42), or -1 when it was
 * not made by {@link providerCustomIdOf}: what a result line names is untrusted.
 */
const memberIndexOf = (providerCustomId: string): number => {
  const length = providerCustomId.length;
  if (length < 7 || length > MAX_CANONICAL_ID_LENGTH) return -1;
  if (providerCustomId.charCodeAt(0) !== 0x72 /* r */) return -1;
  let index = 0;
  for (let i = 1; i < length; i++) {
    const digit = providerCustomId.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    index = index * 10 + digit;
  }
  // Only the one spelling providerCustomIdOf makes: `r42` or `r0000042` are other ids.
  return providerCustomIdOf(index) === providerCustomId ? index : -1;
};

export { memberIndexOf, providerCustomIdOf };
