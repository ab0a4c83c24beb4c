import { fileURLToPath } from 'node:url';
import { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { BatchlaneStack, type BatchlaneStackProps } from '../../infra/BatchlaneStack.js';

/** Stand-in handlers, so template tests do not depend on the real ones. */
const FIXTURE_HANDLERS = fileURLToPath(new URL('./fixtures/functions', import.meta.url));

interface SynthResult {
  readonly stack: BatchlaneStack;
  readonly template: Template;
}

/** Synthesizes the stack with bundling skipped and the fixture handlers. */
const synthBatchlane = (props: BatchlaneStackProps = {}): SynthResult => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new BatchlaneStack(app, 'Test', { handlersDir: FIXTURE_HANDLERS, ...props });
  return { stack, template: Template.fromStack(stack) };
};

/** The logical id of a construct's CloudFormation resource (its `defaultChild`). */
const logicalIdOf = (stack: BatchlaneStack, construct: IConstruct): string => {
  const child = construct.node.defaultChild;
  if (!(child instanceof CfnElement)) {
    throw new Error(`${construct.node.path} has no default CloudFormation resource`);
  }
  return stack.getLogicalId(child);
};

/** The environment variables of the function with logical id `functionId`. */
const environmentOf = (template: Template, functionId: string): Record<string, unknown> => {
  const resources = template.toJSON().Resources as Record<
    string,
    { Properties?: Record<string, unknown> }
  >;
  const environment = resources[functionId]?.Properties?.Environment as
    | { Variables?: Record<string, unknown> }
    | undefined;
  if (environment?.Variables === undefined) {
    throw new Error(`${functionId} has no environment variables`);
  }
  return environment.Variables;
};

/** A resource of a synthesized template, as its JSON has it. */
interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** A statement of an IAM policy document. */
interface PolicyStatement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The IAM policies whose roles name the role with logical id `roleId`. */
const policiesOf = (template: Template, roleId: string): TemplateResource[] =>
  Object.values(template.toJSON().Resources as Record<string, TemplateResource>).filter(
    (resource) =>
      resource.Type === 'AWS::IAM::Policy' &&
      JSON.stringify(resource.Properties?.['Roles']).includes(roleId),
  );

/** Every statement of the IAM policies of the role with logical id `roleId`. */
const policyStatementsOf = (template: Template, roleId: string): PolicyStatement[] =>
  policiesOf(template, roleId).flatMap((policy) => {
    const document = policy.Properties?.['PolicyDocument'] as
      | { Statement?: PolicyStatement[] }
      | undefined;
    return document?.Statement ?? [];
  });

export {
  environmentOf,
  FIXTURE_HANDLERS,
  logicalIdOf,
  policiesOf,
  policyStatementsOf,
  type SynthResult,
  synthBatchlane,
};
