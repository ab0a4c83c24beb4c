/** batchlane's id for a request inside one provider batch: short, ordered, provider-safe. */
const providerCustomIdOf = (index: number): string => `r${index.toString().padStart(6, '0')}`;

export { providerCustomIdOf };
