import { describe, expect, it } from 'vitest';
import { CycleCache } from '../../src/engine/cycle-cache.js';

describe('CycleCache', () => {
  it('remember keeps the first value for a key, set replaces it', () => {
    const links = new CycleCache<string>();
    links.remember('superoffice:user:1', 'E1');
    links.remember('superoffice:user:1', 'E2');
    expect(links.get('superoffice:user:1')).toBe('E1');
    links.set('superoffice:user:1', 'E3');
    expect(links.get('superoffice:user:1')).toBe('E3');
    expect(links.get('superoffice:user:2')).toBeUndefined();
  });

  it('keeps the last two generations and forgets older entries', () => {
    const links = new CycleCache<string>(2);
    for (const key of ['a', 'b', 'c', 'd', 'e']) links.remember(key, `E-${key}`);
    // Generations: [a, b] dropped, [c, d] previous, [e] current.
    expect(['a', 'b', 'c', 'd', 'e'].map((key) => links.get(key))).toEqual([undefined, undefined, 'E-c', 'E-d', 'E-e']);
  });

  it('forget drops a key from either generation, and set of a held key starts no new generation', () => {
    const cache = new CycleCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('b', 3); // replaces in place: 'a' stays
    expect(cache.get('a')).toBe(1);
    cache.set('c', 4); // [a, b] becomes the previous generation
    cache.forget('a');
    cache.forget('c');
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 3, undefined]);
  });
});
