/**
 * Safety invariants of design.md (no duplicates, no lost update) as fast-check properties: random worlds, random edits on both
 * sides interleaved with cycles, refused writes and crashes at any step. Fixed seeds; 1,000 runs
 * per property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import {
  type Command,
  cycleCommand,
  duplicateViolations,
  editCommand,
  faultCommand,
  lostUpdates,
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

describe('sync safety invariants (property tests)', () => {
  it('never makes a duplicate, whatever crashes, refusals and retries happen', async () => {
    await fc.assert(
      fc.asyncProperty(worldSeed, history('any'), async (seed, commands) => {
        const world = await play(seed, commands);
        try {
          expect(await duplicateViolations(world)).toEqual([]);
          await world.settle();
          expect(await duplicateViolations(world)).toEqual([]);
        } finally {
          await world.store.close();
        }
      }),
      { numRuns: runs, seed: 20240326 },
    );
  });

  it('loses no update outside a recorded conflict', async () => {
    await fc.assert(
      fc.asyncProperty(worldSeed, history('recoverable'), async (seed, commands) => {
        const world = await play(seed, commands);
        try {
          await world.settle();
          expect(await lostUpdates(world)).toEqual([]);
        } finally {
          await world.store.close();
        }
      }),
      { numRuns: runs, seed: 777 },
    );
  });
});
