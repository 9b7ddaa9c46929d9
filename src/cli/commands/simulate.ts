import { Command, type CommandUnknownOpts, InvalidArgumentError } from '@commander-js/extra-typings';
import { startSuperOfficeSimulator } from '../../../simulators/superoffice/index.js';
import { startZendeskSimulator } from '../../../simulators/zendesk/index.js';
import { CliFailure, signalExitCode } from '../failure.js';
import { waitForStopSignal } from '../stop-signal.js';

/** Starts a simulator; a port already taken is a setup mistake, with the option that changes it. */
export async function onFreePort<T>(port: number, option: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'EADDRINUSE') {
      throw new CliFailure(
        `port ${port} is already in use (another simulator or program listens there): choose another with ${option} <port>, or ${option} 0 for a free one`,
      );
    }
    throw error;
  }
}

export function parseCount(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return number;
}

export function parsePort(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65_535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  }
  return number;
}

function superofficeCommand(): CommandUnknownOpts {
  return new Command('superoffice')
    .description('serve a local SuperOffice Web API with generated data until stopped (Ctrl-C)')
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', parsePort, 4101)
    .option('--seed <n>', 'seed for the generated data', parseCount, 1)
    .option('--contacts <n>', 'contacts to generate', parseCount, 20)
    .option('--persons <n>', 'persons to generate', parseCount, 60)
    .option('--tickets <n>', 'tickets to generate', parseCount, 30)
    .option('--users <n>', 'users (associates) to generate', parseCount, 5)
    .action(async (options) => {
      const simulator = await onFreePort(options.port, '--port', () => startSuperOfficeSimulator(options));
      process.stdout.write(
        `SuperOffice simulator at ${simulator.url}\n` +
          `  credentials: Authorization: Bearer sim-token  (or SOTicket 7T:sim-ticket with SO-AppToken: sim-app-token)\n` +
          `  try: curl -H 'Authorization: Bearer sim-token' '${simulator.url}/Contact?$top=5'\n` +
          `  tenant status: ${simulator.environmentUrl}/api/state/${simulator.tenant}` +
          `  (TANDEM_SUPEROFFICE_CUSTOMER_ID=${simulator.tenant} TANDEM_SUPEROFFICE_ENVIRONMENT_URL=${simulator.environmentUrl})\n`,
      );
      const signal = await waitForStopSignal();
      await simulator.close();
      process.exitCode = signalExitCode(signal);
    });
}

function zendeskCommand(): CommandUnknownOpts {
  return new Command('zendesk')
    .description('serve a local Zendesk Support API with generated data until stopped (Ctrl-C)')
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', parsePort, 4102)
    .option('--seed <n>', 'seed for the generated data', parseCount, 1)
    .option('--users <n>', 'users to generate', parseCount, 20)
    .option('--organizations <n>', 'organizations to generate', parseCount, 5)
    .option('--tickets <n>', 'tickets to generate', parseCount, 10)
    .action(async (options) => {
      const simulator = await onFreePort(options.port, '--port', () => startZendeskSimulator(options));
      process.stdout.write(
        `Zendesk simulator at ${simulator.url}/api/v2\n` +
          `  credentials: Authorization: Bearer sim-token  (or e-mail agent@example.com with API token sim-api-token)\n` +
          `  try: curl -H 'Authorization: Bearer sim-token' '${simulator.url}/api/v2/users.json'\n`,
      );
      const signal = await waitForStopSignal();
      await simulator.close();
      process.exitCode = signalExitCode(signal);
    });
}

export function simulateCommand(): CommandUnknownOpts {
  return new Command('simulate')
    .description('run a local simulator of a real API (for trying Tandem, tests and benchmarks)')
    .addCommand(superofficeCommand())
    .addCommand(zendeskCommand());
}
