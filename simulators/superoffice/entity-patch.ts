/**
 * PATCH as SuperOffice does it (superoffice-api.md §3.2): a JSON Patch array (RFC 6902: add,
 * replace, remove, test; move and copy refused) or a JSON Merge Patch object (RFC 7396) that the
 * server first turns into JSON Patch operations. Paths are case-insensitive and the leading `/`
 * is optional. The merge-patch trap is reproduced: an object given where the entity holds an
 * array appends it (`add /Phones/-`); an array replaces the whole array.
 */
import { ApiError, badRequest } from './api-error.js';
import type { Json, JsonObject } from './entity-json.js';

export interface PatchOperation {
  readonly op: 'add' | 'replace' | 'remove' | 'test';
  readonly path: string;
  readonly value?: Json;
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function parsePatchBody(body: Json, target: JsonObject): PatchOperation[] {
  if (Array.isArray(body)) return body.map(parseOperation);
  if (isObject(body)) return mergePatchToOperations(body, target, '');
  throw badRequest('PATCH body must be a JSON Patch array or a merge-patch object');
}

function parseOperation(item: Json): PatchOperation {
  if (!isObject(item)) throw badRequest('a JSON Patch operation must be an object');
  const op = item.op;
  const path = item.path;
  if (typeof path !== 'string') throw badRequest('a JSON Patch operation needs a path');
  if (op === 'move' || op === 'copy') throw badRequest(`JSON Patch operation ${op} is not supported`);
  if (op !== 'add' && op !== 'replace' && op !== 'remove' && op !== 'test') {
    throw badRequest(`unknown JSON Patch operation ${String(op)}`);
  }
  if (op !== 'remove' && !('value' in item)) throw badRequest(`JSON Patch ${op} needs a value`);
  return op === 'remove' ? { op, path } : { op, path, value: item.value ?? null };
}

function mergePatchToOperations(patch: JsonObject, target: Json | undefined, prefix: string): PatchOperation[] {
  const operations: PatchOperation[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const path = `${prefix}/${key}`;
    const current = isObject(target) ? lookup(target, key) : undefined;
    if (value === null) operations.push({ op: 'remove', path });
    else if (isObject(value) && Array.isArray(current)) operations.push({ op: 'add', path: `${path}/-`, value });
    else if (isObject(value) && isObject(current)) operations.push(...mergePatchToOperations(value, current, path));
    else operations.push({ op: current === undefined ? 'add' : 'replace', path, value });
  }
  return operations;
}

function lookup(object: JsonObject, key: string): Json | undefined {
  if (key in object) return object[key];
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(object)) if (name.toLowerCase() === lower) return value;
  return undefined;
}

function actualKey(object: JsonObject, key: string): string {
  if (key in object) return key;
  const lower = key.toLowerCase();
  return Object.keys(object).find((name) => name.toLowerCase() === lower) ?? key;
}

function segments(path: string): string[] {
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  if (trimmed === '') return [];
  return trimmed.split('/').map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

export interface PatchRules {
  /**
   * A `test` whose value is an array (`test /Emails == []`): SuperOffice documents `test` on values
   * and array items (`/users/0/email`), not on whole arrays. 'refuse' (default, the harsher reading)
   * answers 409 as a failed test; 'compare' compares the arrays as RFC 6902 does.
   */
  readonly patchTestOnArrays: 'refuse' | 'compare';
}

/** Applies operations to a copy of the document; a failed `test` answers 409 (§3.2). */
export function applyPatch(
  document: JsonObject,
  operations: readonly PatchOperation[],
  rules: PatchRules = { patchTestOnArrays: 'refuse' },
): JsonObject {
  const result = structuredClone(document);
  for (const operation of operations) {
    if (operation.op === 'test' && Array.isArray(operation.value) && rules.patchTestOnArrays === 'refuse') {
      throw new ApiError(409, 'SoConflictException', `test on an array value is not supported at ${operation.path}`);
    }
    const parts = segments(operation.path);
    const last = parts.pop();
    if (last === undefined) throw badRequest('a JSON Patch path must name a property');
    let parent: Json = result;
    for (const part of parts) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[Number(part)]
        : isObject(parent)
          ? lookup(parent, part)
          : undefined;
      if (next === undefined) throw badRequest(`path ${operation.path} does not exist`);
      parent = next;
    }
    applyOne(parent, last, operation);
  }
  return result;
}

function applyOne(parent: Json, key: string, operation: PatchOperation): void {
  const value = operation.value ?? null;
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw badRequest(`path ${operation.path} is outside the array`);
    }
    const exists = index < parent.length;
    switch (operation.op) {
      case 'add':
        parent.splice(index, 0, structuredClone(value));
        return;
      case 'replace':
        if (!exists) throw badRequest(`path ${operation.path} does not exist`);
        parent[index] = structuredClone(value);
        return;
      case 'remove':
        if (!exists) throw badRequest(`path ${operation.path} does not exist`);
        parent.splice(index, 1);
        return;
      case 'test':
        if (!exists || !jsonEqual(parent[index], value)) throw testFailed(operation.path);
        return;
    }
  }
  if (!isObject(parent)) throw badRequest(`path ${operation.path} does not exist`);
  const name = actualKey(parent, key);
  const exists = name in parent;
  switch (operation.op) {
    case 'add':
      parent[name] = structuredClone(value);
      return;
    case 'replace':
      if (!exists) throw badRequest(`path ${operation.path} does not exist`);
      parent[name] = structuredClone(value);
      return;
    case 'remove':
      if (!exists) throw badRequest(`path ${operation.path} does not exist`);
      delete parent[name];
      return;
    case 'test':
      if (!exists || !jsonEqual(parent[name], value)) throw testFailed(operation.path);
      return;
  }
}

const testFailed = (path: string) => new ApiError(409, 'SoConflictException', `test failed at ${path}`);

function jsonEqual(left: Json | undefined, right: Json | undefined): boolean {
  if (left === right) return true;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => jsonEqual(item, right[index]));
  }
  if (isObject(left) && isObject(right)) {
    const keys = Object.keys(left);
    return keys.length === Object.keys(right).length && keys.every((key) => jsonEqual(left[key], lookup(right, key)));
  }
  return false;
}
