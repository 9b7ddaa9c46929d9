import { describe, expect, it } from 'vitest';
import { timeOrderedIds } from '../../src/engine/time-ordered-id.js';

describe('time-ordered ids', () => {
  it('sort in the order they were made, within a millisecond and across a clock that steps back', () => {
    const times = [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_005, 1_699_999_999_000, 1_700_000_000_006];
    let call = 0;
    const next = timeOrderedIds(() => times[Math.min(call++, times.length - 1)] as number);
    const ids = Array.from({ length: 5000 }, () => next());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('have the UUID version 7 layout with the time in the first 48 bits', () => {
    const id = timeOrderedIds(() => 0x018f_3a2b_4c5d)();
    expect(id).toMatch(/^018f3a2b-4c5d-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
