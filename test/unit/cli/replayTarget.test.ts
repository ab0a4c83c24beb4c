import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReplay } from '../../../cli/runReplay.js';

const INTAKE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Batchlane-Intake';

/** Writes an outputs file as `cdk deploy --outputs-file` does, returning its path. */
const outputsFile = (outputs: Record<string, string>): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'replay-')), 'outputs.json');
  writeFileSync(path, JSON.stringify({ Batchlane: { IntakeQueueUrl: INTAKE, ...outputs } }));
  return path;
};

const replay = async (args: string[]) => {
  const lines: string[] = [];
  const code = await runReplay(args, (line) => lines.push(line));
  return { code, text: lines.join('\n') };
};

describe('Command: batchlane replay against a deployed stack', () => {
  it('refuses a stack whose outputs carry no allow-list, rather than reading it as "everything"', async () => {
    const path = outputsFile({ ArtifactsBucketName: 'batchlane-artifacts-abc' });
    const { code, text } = await replay(['--outputs-file', path]);
    expect(code).toBe(1);
    expect(text).toContain('has no DestinationAllowList output');
  });

  it('refuses an allow-list it cannot read', async () => {
    const path = outputsFile({
      ArtifactsBucketName: 'batchlane-artifacts-abc',
      DestinationAllowList: 'sqs:https://sqs.eu-west-1.amazonaws.com/123456789012/results',
    });
    const { code, text } = await replay(['--outputs-file', path]);
    expect(code).toBe(1);
    expect(text).toContain('allow-list cannot be read');
  });

  it('refuses a stack whose outputs name no artifacts bucket', async () => {
    const path = outputsFile({ DestinationAllowList: 'none' });
    const { code, text } = await replay(['--outputs-file', path]);
    expect(code).toBe(1);
    expect(text).toContain('has no ArtifactsBucketName output');
  });

  it('says where the outputs file should come from when there is none', async () => {
    const { code, text } = await replay(['--outputs-file', '/nonexistent/outputs.json']);
    expect(code).toBe(1);
    expect(text).toContain('npx cdk deploy --outputs-file outputs.json');
  });
});
