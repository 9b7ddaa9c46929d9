/**
 * The CLI's logger: pino, as JSON lines for machines, or readable lines when a person watches a
 * terminal. Either way one event is one line: the cycle's counts are summed up in its message for a
 * person and kept whole in the JSON.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

type LogObject = Record<string, unknown>;

function numberIn(value: unknown, key: string): number {
  const field = typeof value === 'object' && value !== null ? (value as LogObject)[key] : undefined;
  return typeof field === 'number' ? field : 0;
}

/** A finished cycle's line for a person: what it wrote, in a few words. */
function cycleSummary(log: LogObject): string {
  const writes = log.writes;
  const parts = [
    `${numberIn(writes, 'created')} created`,
    `${numberIn(writes, 'updated')} updated`,
    `${numberIn(writes, 'failed')} failed`,
  ];
  const conflicts = numberIn(log.counts, 'conflicts');
  if (conflicts > 0) parts.push(`${conflicts} conflicts`);
  const status = typeof log.status === 'string' ? log.status : 'finished';
  return `cycle ${status}: ${parts.join(', ')}`;
}

export function createLogger(
  level: string,
  destination: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Logger {
  const options = {
    level,
    base: undefined,
    redact: ['*.token', '*.accessToken', '*.apiToken', '*.appToken', '*.ticket'],
  };
  if (destination.isTTY === true) {
    return pino(
      options,
      pretty({
        destination,
        colorize: true,
        translateTime: 'HH:MM:ss',
        // The counts are in the summary; the JSON form keeps them all.
        ignore: 'pid,hostname,counts,writes',
        singleLine: true,
        messageFormat: (log, messageKey) => {
          const message = String(log[messageKey] ?? '');
          return typeof log.writes === 'object' && log.writes !== null ? cycleSummary(log) : message;
        },
        sync: true,
      }),
    );
  }
  return pino(options, destination);
}
