/**
 * Deep equality of JSON-shaped values (null, booleans, numbers, strings, arrays, plain objects),
 * independent of key order; a key holding `undefined` counts as absent, as in JSON text.
 */
export function jsonEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (left === null || right === null || typeof left !== 'object' || typeof right !== 'object') return false;
  if (Array.isArray(left)) {
    if (!Array.isArray(right) || left.length !== right.length) return false;
    for (let index = 0; index < left.length; index++) if (!jsonEqual(left[index], right[index])) return false;
    return true;
  }
  if (Array.isArray(right)) return false;
  const leftRecord = left as Record<string, unknown>;
  const rightRecord = right as Record<string, unknown>;
  let leftKeys = 0;
  for (const key in leftRecord) {
    if (leftRecord[key] === undefined) continue;
    leftKeys++;
    if (!jsonEqual(leftRecord[key], rightRecord[key])) return false;
  }
  let rightKeys = 0;
  for (const key in rightRecord) if (rightRecord[key] !== undefined) rightKeys++;
  return leftKeys === rightKeys;
}
