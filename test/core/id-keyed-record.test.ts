import { describe, expect, it } from 'vitest';
import { idKeyedRecord } from '../../src/core/id-keyed-record.js';

describe('an object keyed by record ids', () => {
  it('behaves like an object literal: same prototype, keys in insertion order, same JSON', () => {
    const record = idKeyedRecord<number>();
    const literal: Record<string, number> = {};
    for (const key of ['zendesk:user:70', 'superoffice:person:7', 'superoffice:contact:2']) {
      record[key] = key.length;
      literal[key] = key.length;
    }
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record)).toEqual(Object.keys(literal));
    expect(JSON.stringify(record)).toBe(JSON.stringify(literal));
    expect(record).toStrictEqual(literal);
    expect(Object.hasOwn(record, 'toString')).toBe(false);
  });
});
