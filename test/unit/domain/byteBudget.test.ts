import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../shared/domain/byteBudget.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Class: ByteBudget', () => {
  it('lets claims through while they fit, and makes the next wait for room', async () => {
    const budget = new ByteBudget(100);
    const first = await budget.acquire(60);
    let secondIn = false;
    const second = budget.acquire(60).then((release) => {
      secondIn = true;
      return release;
    });
    await tick();
    expect(secondIn).toBe(false);
    expect(budget.held).toBe(60);

    first();
    (await second)();
    expect(secondIn).toBe(true);
    expect(budget.held).toBe(0);
  });

  it('runs a claim larger than the whole budget alone', async () => {
    const budget = new ByteBudget(100);
    const small = await budget.acquire(10);
    let bigIn = false;
    const big = budget.acquire(10_000).then((release) => {
      bigIn = true;
      return release;
    });
    await tick();
    expect(bigIn).toBe(false);
    small();
    const releaseBig = await big;
    expect(budget.held).toBe(100);
    releaseBig();
    expect(budget.held).toBe(0);
  });

  it('serves waiters first come first served, so a small claim does not overtake a large one', async () => {
    const budget = new ByteBudget(100);
    const holder = await budget.acquire(50);
    const order: string[] = [];
    const large = budget.acquire(100).then((r) => {
      order.push('large');
      return r;
    });
    const small = budget.acquire(10).then((r) => {
      order.push('small');
      return r;
    });
    await tick();
    expect(order).toEqual([]);
    holder();
    (await large)();
    (await small)();
    expect(order).toEqual(['large', 'small']);
  });

  it('releases once however often release is called', async () => {
    const budget = new ByteBudget(100);
    const release = await budget.acquire(40);
    await budget.acquire(40);
    release();
    release();
    expect(budget.held).toBe(40);
  });
});
