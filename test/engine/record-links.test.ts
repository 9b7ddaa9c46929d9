import { describe, expect, it } from 'vitest';
import { RecordLinks } from '../../src/engine/record-links.js';

describe('RecordLinks', () => {
  it('keeps the first entity remembered for a record', () => {
    const links = new RecordLinks();
    links.remember('superoffice:user:1', 'E1');
    links.remember('superoffice:user:1', 'E2');
    expect(links.entityOf('superoffice:user:1')).toBe('E1');
    expect(links.entityOf('superoffice:user:2')).toBeUndefined();
  });

  it('keeps the last two generations and forgets older links', () => {
    const links = new RecordLinks(2);
    for (const key of ['a', 'b', 'c', 'd', 'e']) links.remember(key, `E-${key}`);
    // Generations: [a, b] dropped, [c, d] previous, [e] current.
    expect(['a', 'b', 'c', 'd', 'e'].map((key) => links.entityOf(key))).toEqual([
      undefined,
      undefined,
      'E-c',
      'E-d',
      'E-e',
    ]);
  });
});
