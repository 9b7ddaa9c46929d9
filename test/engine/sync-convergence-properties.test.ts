/**
 * Liveness invariants of design.md (convergence, idempotence) as fast-check properties: random worlds, random edits on both
 * sides interleaved with cycles, refused writes and crashes at any step. Fixed seeds; 1,000 runs
 * per property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { disagreements, history, play, propertyRuns, worldSeed } from './sync-world.js';

describe('sync convergence invariants (property tests)', () => {
  it('converges: after edits stop, one cycle brings everything into agreement and the next writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(worldSeed, history('recoverable'), async (seed, commands) => {
        const world = await play(seed, commands);
        try {
          await world.settle();
          expect(await disagreements(world)).toEqual([]);
          const before = world.writeCalls();
          const next = await world.cycle();
          expect(world.writeCalls()).toBe(before);
          expect(next.counts.decisions).toBe(0);
        } finally {
          await world.store.close();
        }
      }),
      { numRuns: propertyRuns, seed: 4242 },
    );
  });

  it('is idempotent: cycles over unchanged systems change neither the systems nor the agreed state', async () => {
    await fc.assert(
      fc.asyncProperty(worldSeed, history('none'), async (seed, commands) => {
        const world = await play(seed, commands);
        try {
          await world.settle();
          const snapshot = async () => {
            const entityIds = new Set<string>();
            for (const contact of world.superoffice.all('contact')) {
              const stored = await world.store.getRecord(contact.ref);
              if (stored?.entityId) entityIds.add(stored.entityId);
            }
            const entities = await world.store.loadEntities([...entityIds].sort());
            return JSON.stringify({
              entities: entities.map((entity) => [entity.id, entity.base]),
              zendesk: ['organization', 'user', 'ticket'].map((type) => world.zendesk.all(type as 'user')),
              superoffice: ['contact', 'user', 'person', 'ticket'].map((type) => world.superoffice.all(type as 'user')),
            });
          };
          const before = await snapshot();
          const calls = world.writeCalls();
          await world.cycle();
          await world.cycle();
          expect(world.writeCalls()).toBe(calls);
          expect(await snapshot()).toBe(before);
        } finally {
          await world.store.close();
        }
      }),
      { numRuns: propertyRuns, seed: 99 },
    );
  });
});
