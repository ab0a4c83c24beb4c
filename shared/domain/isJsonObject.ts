/** A parsed JSON object (not an array, not null): what a JSON body or line must be. */
type JsonObject = Record<string, unknown>;

const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export { isJsonObject, type JsonObject };
