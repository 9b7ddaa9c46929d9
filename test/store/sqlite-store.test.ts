import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { stateStoreContract } from './state-store-contract.js';

const directory = mkdtempSync(join(tmpdir(), 'tandem-store-'));
let counter = 0;
let last = '';
afterAll(() => rmSync(directory, { recursive: true, force: true }));

stateStoreContract('SQLite', {
  open: () => {
    last = join(directory, `state-${++counter}.db`);
    return openStore(last);
  },
  reopen: () => openStore(last),
});

stateStoreContract('SQLite in memory', { open: () => openStore(':memory:') });
