/**
 * The CLI's logger: pino, as JSON lines for machines, or readable lines when a person watches a terminal.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

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
      pretty({ destination, colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname', sync: true }),
    );
  }
  return pino(options, destination);
}
