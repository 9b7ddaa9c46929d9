/**
 * `npm ci` prints no engine warning on a Node version Tandem supports: every package in
 * package-lock.json (dev tools included, a fresh clone installs them) accepts the lowest release
 * of each Node line package.json declares. cookie@2 (through fastify's light-my-request) wanted
 * Node 22; package.json's overrides pin light-my-request to a release on cookie@1.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readJson = (file: string): unknown => JSON.parse(readFileSync(resolve(root, file), 'utf8'));

type Version = readonly [number, number, number];

function parseVersion(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text
    .replace(/^v/, '')
    .split('.')
    .map((part) => (part === 'x' || part === '*' ? 0 : Number.parseInt(part, 10)));
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `version` satisfies one comparator of an npm range (the forms found in engines fields). */
function satisfiesComparator(version: Version, comparator: string): boolean {
  if (comparator === '*' || comparator === '') return true;
  const match = /^(>=|<=|>|<|\^|~|=)?(.+)$/.exec(comparator);
  const operator = match?.[1] ?? '=';
  const bound = parseVersion(match?.[2] ?? '0');
  const parts = (match?.[2] ?? '').split('.');
  const order = compare(version, bound);
  switch (operator) {
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '^':
      return order >= 0 && version[0] === bound[0] && (bound[0] !== 0 || version[1] === bound[1]);
    case '~':
      return order >= 0 && version[0] === bound[0] && version[1] === bound[1];
    default: {
      // `20`, `20.x`, `20.19.0`: the parts given must match.
      const given = parts.filter((part) => part !== 'x' && part !== '*').length;
      return version.slice(0, given).every((value, index) => value === bound[index]);
    }
  }
}

function satisfies(version: string, range: string): boolean {
  const parsed = parseVersion(version);
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1')
      .split(/\s+/)
      .every((comparator) => satisfiesComparator(parsed, comparator)),
  );
}

/** The lowest release of each Node line a range allows: `>=20.19.0 <21 || >=22.14 <23` -> 20.19.0, 22.14.0. */
function lowestReleases(range: string): string[] {
  return range.split('||').map((alternative) => {
    const lower = /(?:>=|\^)\s*(\d+(?:\.\d+){0,2})/.exec(alternative)?.[1] ?? '0';
    return parseVersion(lower).join('.');
  });
}

describe('Node engines', () => {
  const project = readJson('package.json') as { engines: { node: string } };
  const lock = readJson('package-lock.json') as {
    packages: Record<string, { engines?: { node?: string } | string[]; version?: string }>;
  };

  it('the range reader reads the forms the lock holds', () => {
    expect(satisfies('20.19.0', '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies('20.18.1', '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies('20.19.0', '>=22')).toBe(false);
    expect(satisfies('20.19.0', '20.x || 22.x')).toBe(true);
    expect(satisfies('23.1.0', '^20.0.0 || ^22.0.0 || >=24.0.0')).toBe(false);
    expect(satisfies('22.14.0', '>= 10.x')).toBe(true);
  });

  for (const version of lowestReleases(project.engines.node)) {
    it(`every installed package accepts Node ${version}, the lowest of its line in package.json`, () => {
      const refusing = Object.entries(lock.packages)
        .map(([path, entry]) => ({ path, range: Array.isArray(entry.engines) ? undefined : entry.engines?.node }))
        .filter((entry): entry is { path: string; range: string } => entry.range !== undefined)
        .filter((entry) => !satisfies(version, entry.range))
        .map((entry) => `${entry.path} wants node ${entry.range}`);
      expect(refusing).toEqual([]);
    });
  }
});
