import { Command, type CommandUnknownOpts, InvalidArgumentError } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { isSyncError } from '../../core/sync-error.js';
import { CliFailure, exitCodes, StoppedBySignal } from '../failure.js';
import { createLogger } from '../logger.js';
import { ProgressLog } from '../progress-display.js';
import { listenForStop } from '../stop-signal.js';
import { runSyncLoop } from '../sync-loop.js';
import { openTenant } from '../tenant.js';

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new InvalidArgumentError('expected a positive number of seconds');
  return seconds;
}

export function runCommand(): CommandUnknownOpts {
  return new Command('run')
    .description(
      'keep SuperOffice and Zendesk in sync: a cycle every interval, one log line per cycle, until Ctrl-C (exit 130) or SIGTERM (exit 143)',
    )
    .option('--interval <seconds>', 'seconds between cycles (default: TANDEM_INTERVAL_SECONDS or 60)', parseSeconds)
    .action(async (options) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const progress = new ProgressLog((line) => logger.info(line));
      const tenant = await openTenant(config, logger, {
        engine: { onProgress: (event) => progress.tracker.update(event) },
      });
      const stop = listenForStop((signal) => logger.info({ signal }, 'stopping after the batch in flight'));
      const halt = new AbortController();
      stop.signal.addEventListener('abort', () => halt.abort(stop.signal.reason));
      const lockLost = tenant.lock?.lost;
      lockLost?.addEventListener('abort', () => halt.abort(lockLost.reason));
      try {
        await Promise.all([tenant.superoffice.verify(), tenant.zendesk.verify()]);
        const intervalSeconds = options.interval ?? config.intervalSeconds;
        logger.info({ intervalSeconds, sweepMinutes: config.sweepMinutes }, 'syncing');
        progress.start();
        await runSyncLoop({
          engine: tenant.engine,
          intervalMs: intervalSeconds * 1000,
          sweepIntervalMs: config.sweepMinutes * 60_000,
          signal: halt.signal,
          // The engine logs each cycle's line; the failures that need a person are repeated here one per line.
          onCycle: (report) => {
            progress.tracker.reset();
            for (const failure of report.failures) {
              logger.warn(
                { target: failure.target, error: failure.error, retryAt: failure.retryAt },
                failure.advice ?? failure.error.message,
              );
            }
          },
          onCycleFailure: (error) => {
            progress.tracker.reset();
            // Credentials refused needs a person; an outage is retried at the next cycle.
            if (isSyncError(error) && (error.code === 'auth' || error.code === 'config')) throw error;
            logger.error(
              { error: isSyncError(error) ? error.toJSON() : String(error) },
              'cycle failed; trying again at the next interval',
            );
          },
        });
      } finally {
        progress.stop();
        stop.dispose();
        await tenant.close();
      }
      const signal = stop.received();
      if (signal !== undefined)
        throw new StoppedBySignal(signal, 'what was done is saved; the next run goes on from there');
      if (lockLost?.aborted === true) {
        throw new CliFailure(
          `stopped: ${String((lockLost.reason as Error | undefined)?.message ?? 'the state lock was lost')}; another tandem may take over this state now. Start again when the database answers`,
          exitCodes.locked,
        );
      }
    });
}
