/**
 * Runs the real `tandem` command (bin/tandem) as a child process, for tests of exit codes, messages
 * and signals. The environment is only what the test gives (plus PATH), so no setting leaks in.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const tandemBin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/tandem');

export interface TandemResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TandemProcess {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  /** Resolves once stderr matches (the process's own output, not a timer, tells when it got there). */
  waitForStderr(pattern: RegExp): Promise<void>;
  readonly done: Promise<TandemResult>;
}

export function startTandem(args: readonly string[], env: Record<string, string>, cwd?: string): TandemProcess {
  const child = spawn(tandemBin, [...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    ...(cwd === undefined ? {} : { cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const watcher of [...watchers]) {
      if (watcher.pattern.test(stderr)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    }
  });
  const done = new Promise<TandemResult>((finish) => child.on('close', (code) => finish({ code, stdout, stderr })));
  return {
    child,
    stderr: () => stderr,
    waitForStderr: (pattern) =>
      new Promise<void>((resolveWait, rejectWait) => {
        if (pattern.test(stderr)) return resolveWait();
        watchers.push({ pattern, resolve: resolveWait });
        void done.then((result) =>
          rejectWait(new Error(`tandem exited (${result.code}) before printing ${pattern}:\n${result.stderr}`)),
        );
      }),
    done,
  };
}

export function runTandem(args: readonly string[], env: Record<string, string>, cwd?: string): Promise<TandemResult> {
  return startTandem(args, env, cwd).done;
}
