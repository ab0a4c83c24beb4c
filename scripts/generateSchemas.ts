/**
 * Writes the JSON Schema files of the public contract from its zod definitions, so the
 * schemas in `schemas/` can never drift from what the code validates. With `--check`, fails
 * instead of writing when a committed file is out of date (run by `npm test`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { DestinationSchema } from '../shared/contract/destination.js';
import { DETAIL_SCHEMAS, EVENT_SOURCE } from '../shared/contract/events.js';
import { RequestV1BaseSchema } from '../shared/contract/request.js';
import {
  RESULT_DETAIL_TYPE,
  ResultPointerV1Schema,
  ResultV1Schema,
} from '../shared/contract/result.js';

const toSchema = (schema: z.ZodType, id: string, title: string, io: 'input' | 'output') => ({
  ...z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }),
  $id: `https://batchlane.dev/schemas/${id}`,
  title,
});

const files: Record<string, unknown> = {
  'schemas/request.v1.json': {
    ...toSchema(RequestV1BaseSchema, 'request.v1.json', 'batchlane request message v1', 'input'),
    description:
      'One SQS message body on the intake queue. Provider rules (endpoint per provider; body.model; body.max_tokens and body.messages for /v1/messages; no body.stream) are enforced in addition; see README "Rejection reasons".',
  },
  'schemas/destination.v1.json': toSchema(
    DestinationSchema,
    'destination.v1.json',
    'batchlane destination v1',
    'input',
  ),
  'schemas/result.v1.json': toSchema(
    ResultV1Schema,
    'result.v1.json',
    'batchlane result record v1',
    'output',
  ),
  'schemas/result-pointer.v1.json': toSchema(
    ResultPointerV1Schema,
    'result-pointer.v1.json',
    'batchlane result pointer v1: delivered in place of a result too large for its message',
    'output',
  ),
  'schemas/events.v1.json': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://batchlane.dev/schemas/events.v1.json',
    title: 'batchlane EventBridge events v1',
    description: `Events published with source "${EVENT_SOURCE}"; the key is the detail-type, the schema is the detail.`,
    type: 'object',
    properties: {
      ...Object.fromEntries(
        Object.entries(DETAIL_SCHEMAS).map(([detailType, schema]) => [
          detailType,
          z.toJSONSchema(schema, { target: 'draft-2020-12' }),
        ]),
      ),
      [RESULT_DETAIL_TYPE]: {
        oneOf: [
          { $ref: 'https://batchlane.dev/schemas/result.v1.json' },
          { $ref: 'https://batchlane.dev/schemas/result-pointer.v1.json' },
        ],
      },
    },
  },
};

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [path, schema] of Object.entries(files)) {
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  if (check) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(path);
  } else {
    writeFileSync(path, text);
  }
}
if (stale.length > 0) {
  console.error(`out of date: ${stale.join(', ')}; run \`npm run schemas\` and commit the result`);
  process.exit(1);
}
console.log(check ? 'schemas are up to date' : `wrote ${Object.keys(files).length} schema files`);
