import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tandem = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/tandem');

async function tandemRun(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(tandem, args, { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the tandem command', () => {
  it('prints help listing its commands', async () => {
    const result = await tandemRun(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: tandem');
    expect(result.stdout).toContain('doc');
  });

  it('exits 2 with a clear message on an unknown command', async () => {
    const result = await tandemRun(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 on a bad option value', async () => {
    const result = await tandemRun(['doc', '--format', 'xml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Allowed choices are markdown, json');
  });

  it('prints the flow data as JSON', async () => {
    const result = await tandemRun(['doc', '--format', 'json']);
    const flows = JSON.parse(result.stdout) as { name: string }[];
    expect(flows.map((flow) => flow.name)).toEqual(['person', 'contact', 'ticket', 'user']);
  });
});
