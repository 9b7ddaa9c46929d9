/**
 * How the CLI ends on a failure: one clear message on stderr and an exit code a script can act on.
 *   0 done · 1 unexpected failure (a bug: please report it) · 2 usage or configuration problem
 *   (the message says what to fix) · 3 a service or the database refused the credentials or could
 *   not be reached · 4 another tandem is syncing this state · 130 stopped by Ctrl-C (SIGINT) ·
 *   143 stopped by SIGTERM. An interrupted cycle is not a success.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { isSyncError } from '../core/sync-error.js';
import { StateLockedError } from '../store/state-lock.js';
import { databaseFailureOf, StoreSetupError } from '../store/store-setup-error.js';

export const exitCodes = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  service: 3,
  locked: 4,
  interrupted: 130,
  terminated: 143,
} as const;

/** The exit code of a process stopped by a signal, as shells report it (128 + the signal's number). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? exitCodes.terminated : exitCodes.interrupted;
}

/** A failure the user can fix, with the code to exit with. */
export class CliFailure extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = exitCodes.usage) {
    super(message);
    this.name = 'CliFailure';
    this.exitCode = exitCode;
  }
}

/** A command stopped by Ctrl-C or SIGTERM: what it did is saved, but it did not finish. */
export class StoppedBySignal extends Error {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals, what: string) {
    super(`stopped by ${signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : signal}: ${what}`);
    this.name = 'StoppedBySignal';
    this.signal = signal;
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
  if (error instanceof StoppedBySignal) {
    stderr.write(`tandem: ${error.message}\n`);
    return signalExitCode(error.signal);
  }
  if (error instanceof StateLockedError) {
    stderr.write(
      `tandem: ${error.message}. Wait for it to finish or stop it, then try again; status, explain and plan work meanwhile.\n`,
    );
    return exitCodes.locked;
  }
  if (error instanceof StoreSetupError) {
    stderr.write(`tandem: ${error.message}.\n`);
    return error.problem === 'credentials' || error.problem === 'unreachable' ? exitCodes.service : exitCodes.usage;
  }
  // A database that failed mid-work (a lost connection, a full disk) reaches here as a cycle's failure.
  const database = databaseFailureOf(error);
  if (database !== undefined) {
    stderr.write(`tandem: ${database.message}.\n`);
    return database.problem === 'path' ? exitCodes.usage : exitCodes.service;
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
    if (error.code === 'bug' || error.code === 'malformed') return exitCodes.unexpected;
    // A URL that names no such API is a setting to fix, not a service that refused.
    return error.code === 'config' ? exitCodes.usage : exitCodes.service;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stderr.write(`tandem: unexpected failure; please report it with this text:\n${message}\n`);
  return exitCodes.unexpected;
}
