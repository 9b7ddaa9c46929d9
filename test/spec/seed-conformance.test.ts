import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Flow, flows } from '../../src/spec/flows.js';
import { readSeed, type SeedSection } from './seed-reader.js';

const seedPath = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/seed/000_26b3f9758ca42567.txt');
const seedPresent = existsSync(seedPath);

/** What a flow list would have to say to match the seed, as comparable plain data. */
function asSeedSections(flowList: readonly Flow[]): SeedSection[] {
  return flowList.map((flow) => ({
    superoffice: flow.seedNames.superoffice,
    zendesk: flow.seedNames.zendesk,
    createRule: flow.create,
    mergeKeys: flow.mergeKeys.map((key) => ({ superoffice: key.superoffice, zendesk: key.zendesk })),
    properties: flow.properties.map((property) => ({
      superoffice: property.superoffice,
      zendesk: property.zendesk,
      dataType: property.dataType,
    })),
  }));
}

describe.skipIf(!seedPresent)('the flow data conforms to the seed checklist', () => {
  const seed = seedPresent ? readSeed(readFileSync(seedPath, 'utf8')) : [];

  it('reads four flows from the seed, each with its property table', () => {
    expect(seed.map((section) => section.superoffice)).toEqual(['Person', 'Contact', 'Ticket', 'User']);
    expect(seed.every((section) => section.properties.length > 0)).toBe(true);
  });

  it('has every flow, create rule, merge key and property row of the seed, in its order and with its data type', () => {
    expect(asSeedSections(flows)).toEqual(seed);
  });

  it('notices when any single value of the flow data is changed', () => {
    const mutations: ((flow: Flow) => Flow)[] = [
      (flow) => ({ ...flow, create: flow.create === 'always' ? 'unless-merged' : 'always' }),
      (flow) => ({ ...flow, mergeKeys: [...flow.mergeKeys, { superoffice: 'Id', zendesk: 'id' }] }),
      (flow) => ({ ...flow, properties: flow.properties.slice(1) }),
      (flow) => ({ ...flow, properties: [...flow.properties].reverse() }),
      (flow) => ({
        ...flow,
        properties: flow.properties.map((property, index) =>
          index === 0 ? { ...property, zendesk: `${property.zendesk}_x` } : property,
        ),
      }),
    ];
    for (let index = 0; index < flows.length; index++) {
      for (const mutate of mutations) {
        const changed = flows.map((flow, position) => (position === index ? mutate(flow) : flow));
        const unchangedRows = JSON.stringify(asSeedSections(changed)) === JSON.stringify(seed);
        const onlyReversedSingleRow = (flows[index]?.properties.length ?? 0) < 2 && mutate === mutations[3];
        if (!onlyReversedSingleRow)
          expect(unchangedRows, `mutation ${mutations.indexOf(mutate)} of flow ${index}`).toBe(false);
      }
    }
  });
});

describe.skipIf(seedPresent)('the seed checklist', () => {
  it('is skipped: ../shared/seed is not beside this clone, so the flow data cannot be compared with it', () => {
    expect(seedPresent).toBe(false);
  });
});
