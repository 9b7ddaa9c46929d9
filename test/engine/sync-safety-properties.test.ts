/**
 * Safety invariants of design.md (no duplicates, no lost update) as fast-check properties: random worlds, random edits on both
 * sides interleaved with cycles, refused writes and crashes at any step. Fixed seeds; 1,000 runs
 * per property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duplicateViolations, history, lostUpdates, play, propertyRuns, worldSeed } from './sync-world.js';

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
      { numRuns: propertyRuns, seed: 20240326 },
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
      { numRuns: propertyRuns, seed: 777 },
    );
  });
});
