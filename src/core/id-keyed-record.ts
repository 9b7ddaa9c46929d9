/**
 * An empty, ordinary object meant for keys that are record or entity ids (`superoffice:contact:42`).
 *
 * V8 gives every new property name added to a `{}` its own hidden-class transition. With a fresh
 * id per object that costs microseconds per key and grows one transition tree without bound; it
 * was most of the planner's time on a sweep. An object made by `Object.create(null)` keeps its
 * properties in a hash table instead; setting the usual prototype back keeps that table, so the
 * result behaves like any object literal (same prototype, keys in insertion order).
 */
export function idKeyedRecord<T>(): Record<string, T> {
  return Object.setPrototypeOf(Object.create(null), Object.prototype) as Record<string, T>;
}
