/**
 * Runs the Zendesk simulator on its own:
 *   tsx simulators/zendesk/main.ts --port 4010 --seed 7 --users 200 --organizations 40 --tickets 500
 * The `tandem simulate zendesk` command passes its arguments to runZendeskSimulator.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultCredentials, startZendeskSimulator, type ZendeskSimulator } from './index.js';

export async function runZendeskSimulator(argv: readonly string[]): Promise<ZendeskSimulator> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      users: { type: 'string', default: '0' },
      organizations: { type: 'string', default: '0' },
      tickets: { type: 'string', default: '0' },
      agents: { type: 'string' },
      'no-rate-limits': { type: 'boolean', default: false },
      'withhold-seconds': { type: 'string' },
    },
  });
  const count = (text: string | undefined, name: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs a whole number, got ${text}`);
    return value;
  };
  const simulator = await startZendeskSimulator({
    port: count(values.port, 'port'),
    seed: count(values.seed, 'seed'),
    users: count(values.users, 'users'),
    organizations: count(values.organizations, 'organizations'),
    tickets: count(values.tickets, 'tickets'),
    ...(values.agents === undefined ? {} : { agents: count(values.agents, 'agents') }),
    ...(values['no-rate-limits'] ? { rateLimits: false } : {}),
    ...(values['withhold-seconds'] === undefined
      ? {}
      : { incrementalWithholdSeconds: count(values['withhold-seconds'], 'withhold-seconds') }),
  });
  process.stdout.write(
    [
      `Zendesk simulator listening on ${simulator.url} (API at ${simulator.url}/api/v2)`,
      `  OAuth token: ${defaultCredentials.oauthToken}`,
      `  API token:   ${defaultCredentials.apiToken.email} / ${defaultCredentials.apiToken.token}`,
      '',
    ].join('\n'),
  );
  return simulator;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const simulator = await runZendeskSimulator(process.argv.slice(2));
  const stop = () => {
    void simulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
