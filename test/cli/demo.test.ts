import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tandem = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/tandem');

describe('tandem demo', () => {
  it('starts both simulators, syncs them, prints ready-to-paste edits and stops after the cycles asked for', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tandem-demo-'));
    const { stdout } = await run(
      tandem,
      [
        'demo',
        '--cycles',
        '2',
        '--interval',
        '1',
        '--superoffice-port',
        '0',
        '--zendesk-port',
        '0',
        '--contacts',
        '10',
        '--persons',
        '30',
        '--tickets',
        '10',
        '--users',
        '3',
      ],
      { cwd, env: { PATH: process.env.PATH ?? '' } },
    );
    expect(stdout).toMatch(/cycle \S+ completed in [\d.]+ s: \d+ created/);
    const organizations = Number(/Zendesk now has (\d+) organizations/.exec(stdout)?.[1]);
    expect(organizations).toBeGreaterThanOrEqual(9); // every contact, less any whose name another contact already took
    expect(stdout).toContain("curl -X PATCH -H 'Authorization: Bearer sim-token'");
    expect(stdout).toContain('/api/v2/organizations/');
    expect(stdout).toContain('Demo stopped.');
    expect(existsSync(join(cwd, 'tandem-demo.db'))).toBe(true);

    // The demo's state answers `status` and `explain` like any tenant's.
    const env = { PATH: process.env.PATH ?? '', TANDEM_DB: join(cwd, 'tandem-demo.db') };
    const status = await run(tandem, ['status', '--json'], { cwd, env });
    const report = JSON.parse(status.stdout) as { flows: { flow: string; records: number; linked: number }[] };
    const contactFlow = report.flows.find((flow) => flow.flow === 'contact');
    expect(contactFlow?.records).toBe(10);
    expect(contactFlow?.linked).toBe(organizations);
    const explained = await run(tandem, ['explain', 'superoffice:contact:1'], { cwd, env });
    expect(explained.stdout).toMatch(/global entity \S+ \(organization\)/);
    expect(explained.stdout).toMatch(/zendesk:organization:\d+/);
    expect(explained.stdout).toContain('history (oldest first):');
  });

  it('explains which part of a record name is wrong', async () => {
    const result = await run(tandem, ['explain', 'superoffice:foo:1'], { env: { PATH: process.env.PATH ?? '' } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect('code' in result ? result.code : 0).toBe(2);
    expect(result.stderr).toContain("superoffice has no record type 'foo'");
  });
});
