/**
 * Run as its own process by the state-lock tests: takes the lock of the state named by argv[2],
 * prints `held <pid>` (or `refused <message>`), and keeps the lock until its stdin ends or it is killed.
 */
import { lockState } from '../../src/store/open-store.js';
import { StateLockedError } from '../../src/store/state-lock.js';

const location = process.argv[2] ?? '';
try {
  const lock = await lockState(location);
  process.stdout.write(`held ${lock.holder.pid}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void lock.release().then(() => process.exit(0));
  });
} catch (error) {
  process.stdout.write(`${error instanceof StateLockedError ? 'refused' : 'failed'} ${String(error)}\n`);
  process.exit(error instanceof StateLockedError ? 4 : 1);
}
