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

  it('forgets the oldest entries beyond its capacity', () => {
    const links = new RecordLinks(2);
    links.remember('a', 'E1');
    links.remember('b', 'E2');
    links.remember('c', 'E3');
    expect([links.entityOf('a'), links.entityOf('b'), links.entityOf('c')]).toEqual([undefined, 'E2', 'E3']);
  });
});
