import { describe, expect, it } from 'vitest';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { withProviderCustomId } from '../../../shared/domain/withProviderCustomId.js';

describe('withProviderCustomId', () => {
  it('gives a line rendered with the placeholder the same bytes as one rendered with the id', () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'é "quoted" \u2028' }],
    };
    for (const provider of ['anthropic', 'openai'] as const) {
      const placeholder = formatProviderLine(provider, '/v1/chat/completions', 'r000000', body);
      const direct = formatProviderLine(provider, '/v1/chat/completions', 'r012345', body);
      const swapped = withProviderCustomId(placeholder, 'r012345');
      expect(swapped).toBe(direct);
      expect(Buffer.byteLength(swapped)).toBe(Buffer.byteLength(placeholder));
    }
  });

  it('refuses a line that does not start with an id of the same width', () => {
    expect(() => withProviderCustomId('{"params":{}}', 'r000001')).toThrow(TypeError);
    const line = formatProviderLine('anthropic', '/v1/messages', 'r000000', {});
    expect(() => withProviderCustomId(line, 'r0000001')).toThrow(TypeError);
  });
});
