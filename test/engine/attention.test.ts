import { describe, expect, it } from 'vitest';
import { holdAttention, holdAttentionOf } from '../../src/engine/attention.js';

describe('the attention table', () => {
  it('has a row per hold reason, and shows a reason it has no row for as needing a person', () => {
    expect(holdAttentionOf('duplicate-name')).toBe(holdAttention['duplicate-name']);
    // A reason written by a newer Tandem (or a row forgotten) is shown, never hidden.
    const unknown = holdAttentionOf('closed-in-zendesk-by-a-future-version');
    expect(unknown.listedAs).toBe('person');
    expect(unknown.command({ record: 'zendesk:ticket:7', member: 'zendesk:ticket:7', related: undefined })).toBe(
      'tandem explain zendesk:ticket:7',
    );
    expect(holdAttentionOf('toString').listedAs).toBe('person'); // no inherited property counts as a row
  });
});
