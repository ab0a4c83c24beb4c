/**
 * SQS's query protocol (form-encoded `Action=SendMessage&…` posts, XML answers), which the
 * AWS CLI v1 and boto3 before 1.31 speak, translated to and from the JSON protocol fauxqs
 * answers. Pure: no I/O.
 */

/** The SQS actions the translation knows; any other `Action` is not SQS's (e.g. SNS's). */
const SQS_ACTIONS = new Set([
  'CreateQueue',
  'DeleteQueue',
  'GetQueueUrl',
  'ListQueues',
  'GetQueueAttributes',
  'SetQueueAttributes',
  'PurgeQueue',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
]);

const INTEGER_PARAMS = new Set([
  'DelaySeconds',
  'MaxNumberOfMessages',
  'WaitTimeSeconds',
  'VisibilityTimeout',
  'MaxResults',
]);

type Tree = { [key: string]: Tree | Tree[] | string };

/** `A.1.B=x&A.2.B=y` → `{A: [{B: x}, {B: y}]}`: numbered segments are 1-based list indexes. */
const unflatten = (params: URLSearchParams): Tree => {
  const root: Tree = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const path = key.split('.');
    let node: Tree | Tree[] = root;
    path.forEach((segment, i) => {
      const last = i === path.length - 1;
      const next = path[i + 1];
      const index = /^\d+$/.test(segment) ? Number(segment) - 1 : null;
      if (index !== null && Array.isArray(node)) {
        if (last) (node as unknown as string[])[index] = value;
        else node = node[index] ??= {};
        return;
      }
      const container = node as Tree;
      if (last) container[segment] = value;
      else {
        const wantsList = next !== undefined && /^\d+$/.test(next);
        container[segment] ??= wantsList ? [] : {};
        node = container[segment] as Tree | Tree[];
      }
    });
  }
  return root;
};

const list = (value: unknown): Tree[] =>
  Array.isArray(value) ? (value.filter((v) => v !== undefined) as Tree[]) : [];

/** `[{Name, Value}]` → `{Name: Value}`, as the JSON protocol has maps. */
const toMap = (entries: Tree[], key: string, value: string): Record<string, unknown> =>
  Object.fromEntries(entries.map((entry) => [entry[key], entry[value]]));

const MAP_PARAMS: Record<string, [string, string, string]> = {
  Attribute: ['Attributes', 'Name', 'Value'],
  MessageAttribute: ['MessageAttributes', 'Name', 'Value'],
  MessageSystemAttribute: ['MessageSystemAttributes', 'Name', 'Value'],
};

const LIST_PARAMS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  TagKey: 'TagKeys',
  SendMessageBatchRequestEntry: 'Entries',
  DeleteMessageBatchRequestEntry: 'Entries',
  ChangeMessageVisibilityBatchRequestEntry: 'Entries',
};

/** A query-protocol structure as the JSON protocol's input: maps, lists and numbers. */
const toJsonShape = (tree: Tree, action: string): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    const map = MAP_PARAMS[key];
    if (map !== undefined) {
      out[map[0]] = toMap(list(value), map[1], map[2]);
    } else if (key === 'Tag') {
      // CreateQueue names its tags `tags`; TagQueue `Tags`.
      out[action === 'CreateQueue' ? 'tags' : 'Tags'] = toMap(list(value), 'Key', 'Value');
    } else if (LIST_PARAMS[key] !== undefined) {
      out[LIST_PARAMS[key]] = list(value).map((item) =>
        typeof item === 'string' ? item : toJsonShape(item, action),
      );
    } else if (INTEGER_PARAMS.has(key) && typeof value === 'string') {
      out[key] = Number(value);
    } else {
      out[key] = value;
    }
  }
  return out;
};

/** The SQS action and JSON input of a query-protocol request body, or null if not SQS's. */
const parseQueryRequest = (
  body: string,
): { readonly action: string; readonly input: Record<string, unknown> } | null => {
  const params = new URLSearchParams(body);
  const action = params.get('Action');
  if (action === null || !SQS_ACTIONS.has(action)) return null;
  return { action, input: toJsonShape(unflatten(params), action) };
};

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );

const element = (name: string, content: string): string => `<${name}>${content}</${name}>`;

/** A JSON map as flattened `<Entry><Name/><Value/></Entry>` elements. */
const mapElements = (entryName: string, map: unknown, keyName: string): string =>
  Object.entries((map ?? {}) as Record<string, unknown>)
    .map(([key, value]) =>
      element(entryName, element(keyName, escapeXml(key)) + element('Value', valueXml(value))),
    )
    .join('');

/** A value as XML: scalars escaped, structures member by member. */
const valueXml = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return escapeXml(String(value));
  return Object.entries(value as Record<string, unknown>)
    .map(([key, member]) => memberXml(key, member, ''))
    .join('');
};

/** The element name of one entry of a JSON list, per list and action (query lists are flattened). */
const entryNames = (action: string): Record<string, string> => ({
  Messages: 'Message',
  QueueUrls: 'QueueUrl',
  Successful: `${action}ResultEntry`,
  Failed: 'BatchResultErrorEntry',
});

const memberXml = (key: string, value: unknown, action: string): string => {
  if (key === 'Attributes') return mapElements('Attribute', value, 'Name');
  if (key === 'MessageAttributes') return mapElements('MessageAttribute', value, 'Name');
  if (key === 'Tags') return mapElements('Tag', value, 'Key');
  if (Array.isArray(value)) {
    const entry = entryNames(action)[key] ?? key;
    return value.map((item) => element(entry, valueXml(item))).join('');
  }
  return element(key, valueXml(value));
};

const NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** A JSON-protocol answer as the query protocol's `<ActionResponse>` document. */
const queryResponseXml = (action: string, output: unknown, requestId: string): string => {
  const members = Object.entries((output ?? {}) as Record<string, unknown>)
    .map(([key, value]) => memberXml(key, value, action))
    .join('');
  const result = members === '' ? '' : element(`${action}Result`, members);
  return `<?xml version="1.0"?><${action}Response xmlns="${NAMESPACE}">${result}${element('ResponseMetadata', element('RequestId', requestId))}</${action}Response>`;
};

/**
 * A JSON-protocol error as the query protocol's `<ErrorResponse>`. The code is the query one
 * SQS names in `x-amzn-query-error` (`AWS.SimpleQueueService.NonExistentQueue;Sender`), else
 * the JSON `__type` without its namespace.
 */
const queryErrorXml = (
  error: { readonly __type?: unknown; readonly message?: unknown },
  queryErrorHeader: string | undefined,
  requestId: string,
): string => {
  const [headerCode, fault] = (queryErrorHeader ?? '').split(';');
  const code =
    headerCode !== undefined && headerCode !== ''
      ? headerCode
      : String(error.__type ?? 'InternalError').replace(/^.*#/, '');
  return `<?xml version="1.0"?><ErrorResponse xmlns="${NAMESPACE}">${element(
    'Error',
    element('Type', fault === 'Receiver' ? 'Receiver' : 'Sender') +
      element('Code', escapeXml(code)) +
      element('Message', escapeXml(String(error.message ?? ''))) +
      '<Detail/>',
  )}${element('RequestId', requestId)}</ErrorResponse>`;
};

export { parseQueryRequest, queryErrorXml, queryResponseXml, SQS_ACTIONS };
