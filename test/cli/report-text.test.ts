import { describe, expect, it } from 'vitest';
import { planLines } from '../../src/cli/report-text.js';
import { openHarness } from '../engine/harness.js';

describe('the cycle report as text', () => {
  it('puts a name taken under what a person must act on, not under what is left on purpose', async () => {
    const h = await openHarness();
    try {
      h.superoffice.add('contact', { Name: 'Acme' });
      h.superoffice.add('contact', { Name: 'ACME' });
      const lines = planLines(await h.engine.plan(), 'would');
      const heading = lines.findIndex((line) => line.startsWith('held until a person acts'));
      expect(heading).toBeGreaterThan(-1);
      expect(lines[heading + 1]).toMatch(/Zendesk organization names are unique/);
      expect(lines.some((line) => line.startsWith('left as they are on purpose'))).toBe(false);
    } finally {
      await h.close();
    }
  });
});
