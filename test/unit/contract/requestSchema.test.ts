import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RequestV1BaseSchema } from '../../../shared/contract/request.js';

const message = (fields: Record<string, unknown>) => ({
  custom_id: 'req-1',
  provider: 'openai',
  ...fields,
});

describe('Schema: RequestV1BaseSchema', () => {
  it('publishes "exactly one of body and body_s3_uri" as oneOf in its JSON Schema', () => {
    const schema = z.toJSONSchema(RequestV1BaseSchema, { io: 'input', unrepresentable: 'any' });
    expect(schema['oneOf']).toEqual([{ required: ['body'] }, { required: ['body_s3_uri'] }]);
    expect(schema['required']).toEqual(['custom_id', 'provider']);
  });

  it('takes a body inline or by an s3:// claim check', () => {
    expect(RequestV1BaseSchema.safeParse(message({ body: { model: 'm' } })).success).toBe(true);
    expect(
      RequestV1BaseSchema.safeParse(message({ body_s3_uri: 's3://my-bucket/bodies/1.json' }))
        .success,
    ).toBe(true);
    expect(
      RequestV1BaseSchema.safeParse(message({ body_s3_uri: 'https://my-bucket/1.json' })).success,
    ).toBe(false);
  });
});
