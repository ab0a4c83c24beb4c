import { describe, expect, it } from 'vitest';
import { heapLimitsFor, lambdaNodeFlagsFor } from '../../../local/stack/invocationLimits.js';

/**
 * Lambda's Node.js bootstrap splits a function's memory as `new_space = memory / 10`,
 * `semi_space = new_space / 2`, `old_space = memory - new_space` (integer division), and
 * passes them as `--max-semi-space-size` and `--max-old-space-size`.
 */
describe('Lambda heap sizing', () => {
  it.each([
    [128, 6, 116],
    [256, 12, 231],
    [512, 25, 461],
    [1024, 51, 922],
    [1769, 88, 1593],
  ])(
    'a %i MB function runs with %i MB semi-spaces and a %i MB old generation',
    (memoryMb, semi, old) => {
      // Act
      const flags = lambdaNodeFlagsFor(memoryMb);
      // Assess
      expect(flags).toEqual([`--max-semi-space-size=${semi}`, `--max-old-space-size=${old}`]);
    },
  );

  it('gives the local workers the same old generation as the flags', () => {
    // Prepare
    const memoryMb = 1024;
    // Act
    const limits = heapLimitsFor(memoryMb);
    const old = Number(lambdaNodeFlagsFor(memoryMb)[1]?.split('=')[1]);
    // Assess
    expect(limits.maxOldGenerationSizeMb).toBe(old);
  });
});
