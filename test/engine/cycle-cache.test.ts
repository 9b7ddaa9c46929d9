import { describe, expect, it } from 'vitest';
import { CycleCache, PartedCache, RecordCache, RecordMap } from '../../src/engine/cycle-cache.js';

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

describe('RecordCache', () => {
  const contact = (id: string) => ({ system: 'superoffice', type: 'contact', id }) as const;
  const organization = (id: string) => ({ system: 'zendesk', type: 'organization', id }) as const;

  it('keeps records of different types apart, even with the same id', () => {
    const links = new RecordCache<string>();
    links.remember(contact('1'), 'E1');
    links.remember(organization('1'), 'E2');
    links.remember(contact('1'), 'E3'); // a link never changes: the first value stays
    expect([links.get(contact('1')), links.get(organization('1')), links.get(contact('2'))]).toEqual([
      'E1',
      'E2',
      undefined,
    ]);
  });

  it('bounds each record type by its own generations: one type filling up evicts none of another', () => {
    const links = new RecordCache<string>(2);
    links.remember(contact('1'), 'C1');
    for (const id of ['1', '2', '3', '4', '5']) links.remember(organization(id), `O${id}`);
    expect(links.get(contact('1'))).toBe('C1');
    expect(['1', '2', '3', '4', '5'].map((id) => links.get(organization(id)))).toEqual([
      undefined,
      undefined,
      'O3',
      'O4',
      'O5',
    ]);
  });
});

describe('RecordMap', () => {
  it('holds one value per record, told apart by system and type, and lists them all', () => {
    const map = new RecordMap<string>();
    map.set({ system: 'superoffice', type: 'user', id: '7' }, 'A');
    map.set({ system: 'zendesk', type: 'user', id: '7' }, 'B');
    map.set({ system: 'superoffice', type: 'user', id: '7' }, 'C');
    expect(map.get({ system: 'superoffice', type: 'user', id: '7' })).toBe('C');
    expect(map.has({ system: 'zendesk', type: 'user', id: '7' })).toBe(true);
    expect(map.has({ system: 'superoffice', type: 'person', id: '7' })).toBe(false);
    expect([...map.values()].sort()).toEqual(['B', 'C']);
  });
});

describe('PartedCache', () => {
  it('bounds each part by its own generations, finds a key in any part, and forgets it from all', () => {
    const cache = new PartedCache<'organization' | 'person', string>(2);
    cache.set('organization', 'O1', 'org 1');
    for (const id of ['P1', 'P2', 'P3', 'P4', 'P5']) cache.set('person', id, `person ${id}`);
    expect([cache.get('O1'), cache.get('P1'), cache.get('P5')]).toEqual(['org 1', undefined, 'person P5']);
    cache.forget('O1');
    cache.forget('P5');
    expect([cache.get('O1'), cache.get('P5'), cache.get('P4')]).toEqual([undefined, undefined, 'person P4']);
  });
});
