import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

type CfnValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | CfnValue[]
  | { [key: string]: CfnValue };

/** Renders a resolved CloudFormation value the way cdk-nag names it in a finding. */
const flatten = (value: CfnValue): string => {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(flatten).join(join[0]);
    }
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
    if (value.Ref !== undefined) return `<${flatten(value.Ref)}>`;
  }
  return JSON.stringify(value);
};

/**
 * The id of the cdk-nag AwsSolutions-IAM5 finding for a wildcard `resource` (an ARN, possibly
 * a token), e.g. `AwsSolutions-IAM5[Resource::<ArtifactsBucket1234.Arn>/*]`. cdk-nag v3
 * acknowledges findings by exact id, so the id is derived from the same value the policy uses.
 */
const wildcardFinding = (scope: IConstruct, resource: string): string =>
  `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource) as CfnValue)}]`;

export { wildcardFinding };
