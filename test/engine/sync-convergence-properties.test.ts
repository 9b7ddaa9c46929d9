/**
 * Liveness invariants of design.md (convergence, idempotence) as fast-check properties: random worlds, random edits on both
 * sides interleaved with cycles, refused writes and crashes at any step. Fixed seeds; 1,000 runs
 * per property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import {
  type Command,
  cycleCommand,
  disagreements,
  editCommand,
  faultCommand,
  World,
  type WorldSeed,
  worldSeed,
} from './sync-world.js';

const runs = Number(process.env.TANDEM_PROPERTY_RUNS ?? 1000);

/** Edits, cycles and (unless `faults` is 'none') crashes and refusals, interleaved. */
const history = (faults: 'none' | 'recoverable' | 'any') =>
  fc.array(
    faults === 'none'
      ? fc.oneof({ arbitrary: editCommand, weight: 5 }, { arbitrary: cycleCommand, weight: 3 })
      : fc.oneof(
          { arbitrary: editCommand, weight: 5 },
          { arbitrary: cycleCommand, weight: 3 },
          { arbitrary: faultCommand(faults === 'any'), weight: 2 },
        ),
    { maxLength: 8 },
  );

async function play(seed: WorldSeed, commands: readonly Command[]): Promise<World> {
  const world = new World(await openStore(':memory:'));
  world.seed(seed);
  for (const command of commands) await world.apply(command);
  return world;
}

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
      { numRuns: runs, seed: 4242 },
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
      { numRuns: runs, seed: 99 },
    );
  });
});
