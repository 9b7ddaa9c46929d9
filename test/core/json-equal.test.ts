import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { jsonEqual } from '../../src/core/json-equal.js';

describe('jsonEqual', () => {
  it('ignores key order and keys holding undefined', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 'x', null] } }, { b: { c: [1, 'x', null] }, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });

  it('tells apart values, array orders, arrays from objects and missing keys', () => {
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual({ a: null }, {})).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
  });

  test.prop([fc.jsonValue(), fc.jsonValue()])('agrees with comparing JSON text of the same value', (left, right) => {
    // JSON text is key-order sensitive, so it only decides equality for a value and its own copy.
    expect(jsonEqual(left, JSON.parse(JSON.stringify(left)))).toBe(true);
    if (JSON.stringify(left) !== JSON.stringify(right)) {
      const reordered = (value: unknown): unknown =>
        value === null || typeof value !== 'object'
          ? value
          : Array.isArray(value)
            ? value.map(reordered)
            : Object.fromEntries(
                Object.entries(value)
                  .reverse()
                  .map(([key, entry]) => [key, reordered(entry)]),
              );
      expect(jsonEqual(left, right)).toBe(jsonEqual(reordered(left), right));
    }
  });
});
