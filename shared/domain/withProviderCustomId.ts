/** How every provider line starts (see `formatProviderLine`): the id is the first field. */
const PREFIX = '{"custom_id":"';

/**
 * A provider line rendered once with a placeholder id, given its final id. Ids are fixed
 * width (`r` and six digits), so the line keeps its byte size and needs no second rendering.
 */
const withProviderCustomId = (line: string, providerCustomId: string): string => {
  const end = PREFIX.length + providerCustomId.length;
  if (!line.startsWith(PREFIX) || line[end] !== '"') {
    throw new TypeError(`not a provider line with a ${providerCustomId.length}-character id`);
  }
  return `${PREFIX}${providerCustomId}${line.slice(end)}`;
};

export { withProviderCustomId };
