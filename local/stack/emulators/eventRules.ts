import { type EventPattern, matchesEventPattern, parseEventPattern } from './eventPattern.js';

/** An EventBridge API error: its `__type` and message, and the HTTP status it comes with. */
class EventBridgeApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A target as PutTargets takes it (the fields the local EventBridge acts on). */
interface RuleTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: {
    readonly InputPathsMap?: Record<string, string>;
    readonly InputTemplate: string;
  };
  readonly SqsParameters?: { readonly MessageGroupId?: string };
}

interface Rule {
  readonly name: string;
  readonly busName: string;
  readonly arn: string;
  eventPattern: string;
  pattern: EventPattern;
  state: 'ENABLED' | 'DISABLED';
  description: string | undefined;
  readonly targets: Map<string, RuleTarget>;
}

/** What one event is to be sent where: a target and the message body it receives. */
interface Delivery {
  readonly rule: string;
  readonly target: RuleTarget;
  readonly body: string;
}

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
/** EventBridge allows five targets per rule. */
const MAX_TARGETS_PER_RULE = 5;

const validation = (message: string): EventBridgeApiError =>
  new EventBridgeApiError('ValidationException', message);

/** `$`, `$.detail`, `$.detail.reason.code`: the JSONPath subset InputPath and InputPathsMap use. */
const valueAtPath = (event: unknown, path: string): unknown => {
  if (path === '$') return event;
  if (!path.startsWith('$.')) throw validation(`Invalid InputPath ${path}`);
  let node: unknown = event;
  for (const key of path.slice(2).split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
};

/**
 * The body a target receives: the constant `Input`, the part at `InputPath`, the
 * `InputTransformer` template with its `<name>` placeholders filled (strings as they are,
 * other values as JSON, as EventBridge does), or else the whole event.
 */
const targetBody = (target: RuleTarget, event: unknown): string => {
  if (target.Input !== undefined) return target.Input;
  if (target.InputPath !== undefined) {
    return JSON.stringify(valueAtPath(event, target.InputPath) ?? null);
  }
  const transformer = target.InputTransformer;
  if (transformer !== undefined) {
    const values = new Map(
      Object.entries(transformer.InputPathsMap ?? {}).map(([name, path]) => [
        name,
        valueAtPath(event, path),
      ]),
    );
    return transformer.InputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (match, name: string) => {
      if (name === 'aws.events.event.json') return JSON.stringify(event);
      if (!values.has(name)) return match;
      const value = values.get(name);
      if (value === undefined) return '';
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }
  return JSON.stringify(event);
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/**
 * EventBridge's rules and targets, per event bus, in memory: the state behind PutRule,
 * DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule, PutTargets, RemoveTargets,
 * ListTargetsByRule and TestEventPattern, and which targets an event goes to.
 */
class EventRules {
  readonly #rules = new Map<string, Rule>();
  readonly #account: string;
  readonly #region: string;

  constructor(options: { readonly account: string; readonly region: string }) {
    this.#account = options.account;
    this.#region = options.region;
  }

  #key(busName: string, name: string): string {
    return `${busName}\u0000${name}`;
  }

  #ruleArn(busName: string, name: string): string {
    const path = busName === 'default' ? name : `${busName}/${name}`;
    return `arn:aws:events:${this.#region}:${this.#account}:rule/${path}`;
  }

  #bus(input: Record<string, unknown>): string {
    const bus = text(input['EventBusName']) ?? 'default';
    // A bus may be named by its ARN.
    return bus.startsWith('arn:') ? bus.slice(bus.lastIndexOf('/') + 1) : bus;
  }

  #existing(input: Record<string, unknown>, field: 'Name' | 'Rule'): Rule {
    const busName = this.#bus(input);
    const name = text(input[field]) ?? '';
    const rule = this.#rules.get(this.#key(busName, name));
    if (rule === undefined) {
      throw new EventBridgeApiError(
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${busName}.`,
      );
    }
    return rule;
  }

  #describe(rule: Rule): Record<string, unknown> {
    return {
      Name: rule.name,
      Arn: rule.arn,
      EventPattern: rule.eventPattern,
      State: rule.state,
      ...(rule.description === undefined ? {} : { Description: rule.description }),
      EventBusName: rule.busName,
    };
  }

  putRule(input: Record<string, unknown>): { RuleArn: string } {
    const name = text(input['Name']) ?? '';
    if (!RULE_NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      );
    }
    if (input['ScheduleExpression'] !== undefined) {
      throw validation(
        'ScheduleExpression is not supported by the local EventBridge (batchlane runs its own schedule locally)',
      );
    }
    const eventPattern = text(input['EventPattern']);
    if (eventPattern === undefined) {
      throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    let pattern: EventPattern;
    try {
      pattern = parseEventPattern(eventPattern);
    } catch (error) {
      throw new EventBridgeApiError('InvalidEventPatternException', (error as Error).message);
    }
    const state = text(input['State']) ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') {
      throw validation(`State must be ENABLED or DISABLED, got ${state}`);
    }
    const busName = this.#bus(input);
    const key = this.#key(busName, name);
    const existing = this.#rules.get(key);
    const rule: Rule = {
      name,
      busName,
      arn: this.#ruleArn(busName, name),
      eventPattern,
      pattern,
      state,
      description: text(input['Description']),
      // Replacing a rule keeps its targets, as EventBridge does.
      targets: existing?.targets ?? new Map(),
    };
    this.#rules.set(key, rule);
    return { RuleArn: rule.arn };
  }

  describeRule(input: Record<string, unknown>): Record<string, unknown> {
    return this.#describe(this.#existing(input, 'Name'));
  }

  listRules(input: Record<string, unknown>): {
    Rules: Record<string, unknown>[];
    NextToken?: string;
  } {
    const busName = this.#bus(input);
    const prefix = text(input['NamePrefix']) ?? '';
    const rules = [...this.#rules.values()]
      .filter((rule) => rule.busName === busName && rule.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
    return this.#page(
      rules.map((rule) => this.#describe(rule)),
      input,
      'Rules',
    );
  }

  #page<K extends string>(
    items: Record<string, unknown>[],
    input: Record<string, unknown>,
    key: K,
  ): Record<K, Record<string, unknown>[]> & { NextToken?: string } {
    const start = Number(text(input['NextToken']) ?? '0') || 0;
    const limit = typeof input['Limit'] === 'number' ? input['Limit'] : 100;
    const page = items.slice(start, start + limit);
    const next = start + limit < items.length ? { NextToken: String(start + limit) } : {};
    return { [key]: page, ...next } as Record<K, Record<string, unknown>[]> & {
      NextToken?: string;
    };
  }

  setState(input: Record<string, unknown>, state: 'ENABLED' | 'DISABLED'): Record<string, never> {
    this.#existing(input, 'Name').state = state;
    return {};
  }

  deleteRule(input: Record<string, unknown>): Record<string, never> {
    const busName = this.#bus(input);
    const key = this.#key(busName, text(input['Name']) ?? '');
    const rule = this.#rules.get(key);
    if (rule === undefined) return {};
    if (rule.targets.size > 0 && input['Force'] !== true) {
      throw validation("Rule can't be deleted since it has targets.");
    }
    this.#rules.delete(key);
    return {};
  }

  putTargets(input: Record<string, unknown>): {
    FailedEntryCount: number;
    FailedEntries: { TargetId: string; ErrorCode: string; ErrorMessage: string }[];
  } {
    const rule = this.#existing(input, 'Rule');
    const targets = input['Targets'];
    if (!Array.isArray(targets) || targets.length < 1 || targets.length > 10) {
      throw validation('Targets must hold between 1 and 10 targets.');
    }
    const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const raw of targets as Record<string, unknown>[]) {
      const id = text(raw['Id']) ?? '';
      const arn = text(raw['Arn']) ?? '';
      if (!TARGET_ID.test(id)) throw validation(`Invalid target Id '${id}'`);
      if (!arn.startsWith('arn:'))
        throw validation(
          `Parameter ${arn} is not valid. Reason: Provided Arn is not in correct format.`,
        );
      const sources = ['Input', 'InputPath', 'InputTransformer'].filter(
        (k) => raw[k] !== undefined,
      );
      if (sources.length > 1) {
        throw validation('Only one of Input, InputPath, or InputTransformer must be provided.');
      }
      if (!/^arn:aws[a-z-]*:sqs:/.test(arn)) {
        failed.push({
          TargetId: id,
          ErrorCode: 'UnsupportedTarget',
          ErrorMessage: 'The local EventBridge delivers to SQS queue targets only',
        });
        continue;
      }
      if (!rule.targets.has(id) && rule.targets.size >= MAX_TARGETS_PER_RULE) {
        throw new EventBridgeApiError(
          'LimitExceededException',
          'The requested resource exceeds the maximum number allowed.',
        );
      }
      rule.targets.set(id, raw as unknown as RuleTarget);
    }
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  removeTargets(input: Record<string, unknown>): { FailedEntryCount: 0; FailedEntries: [] } {
    const rule = this.#existing(input, 'Rule');
    const ids = input['Ids'];
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) {
      throw validation('Ids must hold between 1 and 100 target ids.');
    }
    for (const id of ids) rule.targets.delete(String(id));
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  listTargetsByRule(input: Record<string, unknown>): {
    Targets: Record<string, unknown>[];
    NextToken?: string;
  } {
    const rule = this.#existing(input, 'Rule');
    return this.#page(
      [...rule.targets.values()].map((t) => ({ ...t })),
      input,
      'Targets',
    );
  }

  testEventPattern(input: Record<string, unknown>): { Result: boolean } {
    let pattern: EventPattern;
    try {
      pattern = parseEventPattern(text(input['EventPattern']) ?? '');
    } catch (error) {
      throw new EventBridgeApiError('InvalidEventPatternException', (error as Error).message);
    }
    let event: unknown;
    try {
      event = JSON.parse(text(input['Event']) ?? '');
    } catch {
      throw validation('Parameter Event is not valid.');
    }
    return { Result: matchesEventPattern(pattern, event) };
  }

  /** Where an event put on `busName` goes: every enabled rule that matches, every target. */
  deliveriesFor(busName: string, event: unknown): Delivery[] {
    const deliveries: Delivery[] = [];
    for (const rule of this.#rules.values()) {
      if (rule.busName !== busName || rule.state !== 'ENABLED') continue;
      if (!matchesEventPattern(rule.pattern, event)) continue;
      for (const target of rule.targets.values()) {
        deliveries.push({ rule: rule.name, target, body: targetBody(target, event) });
      }
    }
    return deliveries;
  }
}

export { type Delivery, EventBridgeApiError, EventRules, type RuleTarget, targetBody };
