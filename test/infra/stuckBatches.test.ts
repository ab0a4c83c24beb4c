import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../infra/stackPropsFromContext.js';
import { loadStuckBatchSettings, STUCK_ENV } from '../../shared/config/stuckConfig.js';
import { environmentOf, logicalIdOf, synthBatchlane } from './synthBatchlane.js';

const POLICY = { gemini: 'cancel_resubmit', anthropic: 'escalate', default: 'leave' } as const;

const { stack, template } = synthBatchlane({
  enabledProviders: ['anthropic', 'openai', 'gemini'],
  stuckBatchPolicy: POLICY,
  stuckFloorMinutes: 240,
});
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const contextOf = (context: Record<string, unknown>) => new App({ context }).node;

describe('stuckBatchPolicy: CDK context to the poller', () => {
  it('checks the policy at synth, naming the wrong provider or policy', () => {
    expect(
      stackPropsFromContext(contextOf({ stuckBatchPolicy: JSON.stringify(POLICY) }))
        .stuckBatchPolicy,
    ).toEqual(POLICY);
    expect(() =>
      stackPropsFromContext(contextOf({ stuckBatchPolicy: { gemini: 'restart' } })),
    ).toThrow(/stuckBatchPolicy.*gemini/s);
    expect(() => stackPropsFromContext(contextOf({ stuckBatchPolicy: { acme: 'leave' } }))).toThrow(
      /stuckBatchPolicy/,
    );
    expect(() => stackPropsFromContext(contextOf({ stuckFloorMinutes: 0 }))).toThrow(
      /stuckFloorMinutes/,
    );
  });

  it('carries the policy and the floor to the poller, where the runtime reads them back', () => {
    const env = environmentOf(template, logicalIdOf(stack, stack.poller.function.function));
    expect(JSON.parse(env[STUCK_ENV.policy] as string)).toEqual(POLICY);
    const settings = loadStuckBatchSettings(env as Record<string, string>);
    expect(settings.policies).toEqual({ gemini: 'cancel_resubmit', anthropic: 'escalate' });
    expect(settings.defaultPolicy).toBe('leave');
    expect(settings.floorMs).toBe(240 * 60_000);
    // Only the poller acts on stuck batches.
    const completion = environmentOf(
      template,
      logicalIdOf(stack, stack.completion.function.function),
    );
    expect(STUCK_ENV.policy in completion).toBe(false);
  });
});

describe('Batch Stuck: alarm and dashboard', () => {
  it('alarms on BatchesStuck, summed over every enabled provider', () => {
    const alarm = resources[logicalIdOf(stack, stack.alarms.batchesStuckAlarm)]?.Properties;
    expect(alarm).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const queries = alarm?.Metrics as {
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: string }[] } };
    }[];
    expect(queries.find((q) => q.Expression !== undefined)?.Expression).toBe(
      'FILL(m0, 0) + FILL(m1, 0) + FILL(m2, 0)',
    );
    const stats = queries.flatMap((q) => (q.MetricStat === undefined ? [] : [q.MetricStat]));
    expect(stats.map((s) => s.Metric.MetricName)).toEqual([
      'BatchesStuck',
      'BatchesStuck',
      'BatchesStuck',
    ]);
    expect(stats.map((s) => s.Metric.Dimensions[0]?.Value)).toEqual([
      'anthropic',
      'openai',
      'gemini',
    ]);
  });

  it('shows the alarm, stuck batches and turnaround per provider on the dashboard', () => {
    const [dashboard] = Object.values(resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Dashboard',
    );
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain(
      `"Fn::GetAtt":["${logicalIdOf(stack, stack.alarms.batchesStuckAlarm)}","Arn"]`,
    );
    expect(body).toContain('Batches stuck (Batch Stuck events), per provider');
    expect(body).toContain('MetricName=\\\\\\"BatchesStuck\\\\\\"');
    expect(body).toContain('Batch turnaround (submitted to ended, seconds) per provider');
    expect(body).toMatch(/BatchTurnaroundSeconds[^']*', 'p50', 3600/);
    expect(body).toMatch(/BatchTurnaroundSeconds[^']*', 'p90', 3600/);
  });
});
