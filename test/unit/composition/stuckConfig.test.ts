import { describe, expect, it } from 'vitest';
import { loadStuckBatchSettings, STUCK_ENV } from '../../../shared/config/stuckConfig.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import { DEFAULT_STUCK_SETTINGS } from '../../../shared/domain/stuckBatch.js';

describe('loadStuckBatchSettings', () => {
  it('keeps the defaults when nothing is set: leave everything, a 6 h floor', () => {
    expect(loadStuckBatchSettings({})).toEqual(DEFAULT_STUCK_SETTINGS);
    expect(DEFAULT_STUCK_SETTINGS.defaultPolicy).toBe('leave');
  });

  it('reads a policy per provider, the default, and the floor in minutes', () => {
    const settings = loadStuckBatchSettings({
      [STUCK_ENV.policy]: '{"gemini":"cancel_resubmit","anthropic":"escalate","default":"leave"}',
      [STUCK_ENV.floorMinutes]: '90',
    });
    expect(settings.policies).toEqual({ gemini: 'cancel_resubmit', anthropic: 'escalate' });
    expect(settings.defaultPolicy).toBe('leave');
    expect(settings.floorMs).toBe(90 * 60_000);
  });

  it.each([
    ['{"gemini":"restart"}', /gemini/],
    ['{"acme":"leave"}', /acme/],
    ['cancel_resubmit', /must map providers/],
    ['["leave"]', /must map providers/],
  ])('refuses the policy %s, naming what is wrong', (value, message) => {
    expect(() => loadStuckBatchSettings({ [STUCK_ENV.policy]: value })).toThrow(ConfigError);
    expect(() => loadStuckBatchSettings({ [STUCK_ENV.policy]: value })).toThrow(message);
  });

  it.each(['0', '-5', 'soon'])('refuses the floor %s', (value) => {
    expect(() => loadStuckBatchSettings({ [STUCK_ENV.floorMinutes]: value })).toThrow(
      STUCK_ENV.floorMinutes,
    );
  });
});
