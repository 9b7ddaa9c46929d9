import { Command, type CommandUnknownOpts, InvalidArgumentError } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { isSyncError } from '../../core/sync-error.js';
import { createLogger } from '../logger.js';
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
    .description('keep SuperOffice and Zendesk in sync: a cycle every interval, one log line per cycle, until Ctrl-C')
    .option('--interval <seconds>', 'seconds between cycles (default: TANDEM_INTERVAL_SECONDS or 60)', parseSeconds)
    .action(async (options) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const tenant = await openTenant(config, logger);
      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        logger.info({ signal }, 'stopping after the batch in flight');
        stop.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await Promise.all([tenant.superoffice.verify(), tenant.zendesk.verify()]);
        const intervalSeconds = options.interval ?? config.intervalSeconds;
        logger.info({ intervalSeconds, sweepMinutes: config.sweepMinutes }, 'syncing');
        await runSyncLoop({
          engine: tenant.engine,
          intervalMs: intervalSeconds * 1000,
          sweepIntervalMs: config.sweepMinutes * 60_000,
          signal: stop.signal,
          // The engine logs each cycle's line; the failures that need a person are repeated here one per line.
          onCycle: (report) => {
            for (const failure of report.failures) {
              logger.warn(
                { target: failure.target, error: failure.error, retryAt: failure.retryAt },
                failure.advice ?? failure.error.message,
              );
            }
          },
          onCycleFailure: (error) => {
            // Credentials refused needs a person; an outage is retried at the next cycle.
            if (isSyncError(error) && (error.code === 'auth' || error.code === 'config')) throw error;
            logger.error(
              { error: isSyncError(error) ? error.toJSON() : String(error) },
              'cycle failed; trying again at the next interval',
            );
          },
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await tenant.close();
      }
    });
}
