/**
 * Ids for new global entities and cycles: UUIDs in the version 7 layout of RFC 9562 (48 bits of
 * Unix milliseconds, a counter, random bits). Ids made later sort later, so a large first sync
 * appends its entities at the end of every index keyed by entity id; random UUIDs scattered them
 * over the whole index, and each touched page cost a page write at every commit.
 */
import { randomFillSync } from 'node:crypto';

/** The largest value of the 12-bit counter that orders ids made in the same millisecond. */
const counterLimit = 0xfff;

/** Random bytes are drawn this many ids at a time: one call per id cost more than the rest of the id. */
const idsPerDraw = 512;

export function timeOrderedIds(now: () => number = Date.now): () => string {
  let lastMillis = -1;
  let counter = 0;
  const pool = Buffer.alloc(8 * idsPerDraw);
  let used = idsPerDraw;
  return () => {
    let millis = Math.max(now(), lastMillis); // a clock stepping back never reorders ids
    if (millis === lastMillis) {
      counter++;
      if (counter > counterLimit) {
        millis++; // borrow the next millisecond rather than repeat or reorder
        counter = 0;
      }
    } else {
      counter = 0;
    }
    lastMillis = millis;
    if (used === idsPerDraw) {
      randomFillSync(pool);
      used = 0;
    }
    const random = pool.subarray(8 * used, 8 * ++used);
    // RFC 9562 variant bits (10xx) in the first random byte.
    random[0] = ((random[0] ?? 0) & 0x3f) | 0x80;
    const time = millis.toString(16).padStart(12, '0').slice(-12);
    const tail = random.toString('hex');
    return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${counter.toString(16).padStart(3, '0')}-${tail.slice(0, 4)}-${tail.slice(4, 16)}`;
  };
}
