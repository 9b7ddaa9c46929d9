import { describe, expect, it } from 'vitest';
import {
  type RecordType,
  recordTypeSlot,
  recordTypeSlotCount,
  recordTypesBySystem,
  systemNames,
} from '../../src/core/model.js';

describe('recordTypeSlot', () => {
  it('gives every record type of every system its own slot, from 0 to the slot count', () => {
    const slots = systemNames.flatMap((system) =>
      recordTypesBySystem[system].map((type: RecordType) => recordTypeSlot(system, type)),
    );
    expect([...slots].sort((left, right) => left - right)).toEqual([...Array(recordTypeSlotCount).keys()]);
  });

  it('answers -1 for a type the system does not have', () => {
    expect(recordTypeSlot('zendesk', 'contact')).toBe(-1);
    expect(recordTypeSlot('superoffice', 'organization')).toBe(-1);
  });

  it('reads type names that are equal but not the same string (as read from the store)', () => {
    const type = ['ti', 'cket'].join('') as RecordType;
    expect(recordTypeSlot('zendesk', type)).toBe(recordTypeSlot('zendesk', 'ticket'));
  });
});
