/**
 * How the CLI ends on a failure: one clear message on stderr and an exit code a script can act on.
 *   0 done · 1 unexpected failure (a bug: please report it) · 2 usage or configuration problem ·
 *   3 a service refused the credentials or could not be reached.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { isSyncError } from '../core/sync-error.js';

export const exitCodes = { ok: 0, unexpected: 1, usage: 2, service: 3 } as const;

/** A failure the user can fix, with the code to exit with. */
export class CliFailure extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = exitCodes.usage) {
    super(message);
    this.name = 'CliFailure';
    this.exitCode = exitCode;
  }
}

export function reportFailure(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof CommanderError) {
    // Commander has printed its own message (unknown command, bad option); help and version are not failures.
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    ) {
      return exitCodes.ok;
    }
    return exitCodes.usage;
  }
  if (error instanceof ConfigError || error instanceof CliFailure) {
    stderr.write(`tandem: ${error.message}\n`);
    return error instanceof CliFailure ? error.exitCode : exitCodes.usage;
  }
  if (isSyncError(error)) {
    const hint =
      error.code === 'auth'
        ? ' Check the credentials in your configuration (see `tandem --help` and the README).'
        : error.code === 'config'
          ? ' Check the URLs in your configuration.'
          : error.code === 'transient' || error.code === 'rate_limited'
            ? ' The service could not be reached; check the URL and your network, then try again.'
            : '';
    stderr.write(`tandem: ${error.message}.${hint}\n`);
    return error.code === 'bug' || error.code === 'malformed' ? exitCodes.unexpected : exitCodes.service;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stderr.write(`tandem: unexpected failure; please report it with this text:\n${message}\n`);
  return exitCodes.unexpected;
}
