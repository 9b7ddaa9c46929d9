import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderDataFlowDocument } from '../../src/spec/data-flow-document.js';
import { flows } from '../../src/spec/flows.js';

const documentPath = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/data-flow.md');

describe('the data-flow document', () => {
  it('is committed as generated from the flow data (run `./bin/tandem doc > docs/data-flow.md` after changing flows.ts)', () => {
    expect(readFileSync(documentPath, 'utf8')).toBe(renderDataFlowDocument());
  });

  it('has a section and a property row for every flow and mapped property', () => {
    const document = renderDataFlowDocument();
    for (const flow of flows) {
      expect(document).toContain(`## SuperOffice ${flow.seedNames.superoffice} ↔ Zendesk ${flow.seedNames.zendesk}`);
      for (const property of flow.properties) {
        expect(document).toContain(`| \`${property.superoffice}\` | \`${property.zendesk}\` |`);
      }
    }
  });

  it('says that the due date travels one way and that assignees must be agents', () => {
    const document = renderDataFlowDocument();
    expect(document).toMatch(/`TimeToReply` \| `due_at` \| string \| SuperOffice → Zendesk/);
    expect(document).toContain('Zendesk accepts only agents as assignee');
  });
});
