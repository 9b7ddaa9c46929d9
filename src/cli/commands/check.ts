/**
 * `tandem check`: proves, without syncing, that the setup works. Each result is one line with what
 * to do; the exit code is the worst result's (0 when all pass, 2 for a setting to fix, 3 for a
 * service or database that refused or did not answer). It reads one record of each SuperOffice list
 * and calls each connector's verify(); it writes nothing and creates no state.
 */
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Logger } from 'pino';
import { loadConfig, requireConnections, type TandemConfig } from '../../config/config.js';
import type { Connector } from '../../connectors/connector.js';
import type { RecordType } from '../../core/model.js';
import { isSyncError } from '../../core/sync-error.js';
import { describeStateLocation, lockState } from '../../store/open-store.js';
import { StateLockedError } from '../../store/state-lock.js';
import { probeState } from '../../store/state-probe.js';
import { StoreSetupError } from '../../store/store-setup-error.js';
import { exitCodes } from '../failure.js';
import { createLogger } from '../logger.js';
import { openConnectors } from '../tenant.js';

export interface CheckResult {
  readonly subject: string;
  readonly outcome: 'pass' | 'note' | 'fail';
  readonly message: string;
  /** What to do (for a note or a failure). */
  readonly advice?: string;
  /** For a failure: the exit code it stands for. */
  readonly exitCode?: number;
}

const marks: Record<CheckResult['outcome'], string> = { pass: 'ok  ', note: 'note', fail: 'FAIL' };

export function checkLines(results: readonly CheckResult[]): string[] {
  return results.flatMap((result) => [
    `${marks[result.outcome]}  ${result.subject}: ${result.message}`,
    ...(result.advice === undefined ? [] : [`      what to do: ${result.advice}`]),
  ]);
}

export function worstExitCode(results: readonly CheckResult[]): number {
  return Math.max(exitCodes.ok, ...results.map((result) => (result.outcome === 'fail' ? (result.exitCode ?? 1) : 0)));
}

function failureOf(subject: string, error: unknown, advice: string): CheckResult {
  if (error instanceof StoreSetupError) {
    const service = error.problem === 'credentials' || error.problem === 'unreachable';
    return {
      subject,
      outcome: 'fail',
      message: error.message,
      exitCode: service ? exitCodes.service : exitCodes.usage,
    };
  }
  if (isSyncError(error)) {
    const setting = error.code === 'config' || error.code === 'not_found';
    const bug = error.code === 'bug' || error.code === 'malformed';
    return {
      subject,
      outcome: 'fail',
      message: error.message,
      advice,
      exitCode: bug ? exitCodes.unexpected : setting ? exitCodes.usage : exitCodes.service,
    };
  }
  throw error; // not a setup problem: a bug, reported as one
}

async function checkState(config: TandemConfig): Promise<CheckResult[]> {
  const subject = `state (${describeStateLocation(config.db)})`;
  try {
    const probe = await probeState(config.db);
    if (probe.kind === 'creatable') {
      return [{ subject, outcome: 'pass', message: 'no state yet; the first `tandem sync` can create it there' }];
    }
    const results: CheckResult[] = [
      {
        subject,
        outcome: 'pass',
        message:
          probe.behind === 0
            ? `reachable, schema version ${probe.schemaVersion} (current)`
            : `reachable, schema version ${probe.schemaVersion}; the next sync applies ${probe.behind} newer migrations`,
      },
    ];
    try {
      await (await lockState(config.db)).release();
    } catch (error) {
      if (!(error instanceof StateLockedError)) throw error;
      results.push({
        subject,
        outcome: 'note',
        message: `${error.message} now`,
        advice: 'nothing, if that is the tandem you run; a second sync or run would be refused (exit 4)',
      });
    }
    return results;
  } catch (error) {
    return [failureOf(subject, error, 'fix the state location (TANDEM_DB or db) and try again')];
  }
}

/** One record of each list Tandem reads: proves the rights, not only the credentials. */
async function checkSuperOffice(config: TandemConfig, connector: Connector): Promise<CheckResult[]> {
  const connection = requireConnections(config).superoffice;
  try {
    await connector.verify();
  } catch (error) {
    return [
      failureOf(
        'SuperOffice credentials',
        error,
        'check the SuperOffice tenant (TANDEM_SUPEROFFICE_CUSTOMER_ID or TANDEM_SUPEROFFICE_URL) and its credentials',
      ),
    ];
  }
  const results: CheckResult[] = [
    {
      subject: 'SuperOffice credentials',
      outcome: 'pass',
      message: `accepted by ${connection.url ?? `the tenant ${connection.customerId ?? ''}`.trim()}`,
    },
  ];
  const lists: readonly [RecordType, string][] = [
    ['contact', 'Contact (companies)'],
    ['person', 'Person'],
    ['ticket', 'Ticket (requests)'],
    ['user', 'User (associates)'],
  ];
  for (const [type, name] of lists) results.push(await readFirst(connector, type, `SuperOffice ${name}`));
  return results;
}

async function readFirst(connector: Connector, type: RecordType, subject: string): Promise<CheckResult> {
  try {
    let records = 0;
    for await (const page of connector.readAll(type)) {
      records = page.records.length;
      break; // one page of one record is the proof
    }
    return {
      subject,
      outcome: 'pass',
      message: records === 0 ? 'readable (the list is empty)' : 'readable',
    };
  } catch (error) {
    return failureOf(
      subject,
      error,
      'give the SuperOffice user Tandem signs in as the right to read (and update) this entity, then run `tandem check` again',
    );
  }
}

async function checkZendesk(config: TandemConfig, connector: Connector): Promise<CheckResult[]> {
  const connection = requireConnections(config).zendesk;
  try {
    await connector.verify();
    return [
      {
        subject: 'Zendesk credentials',
        outcome: 'pass',
        message: `accepted by ${connection.url}, with the admin rights the incremental exports need`,
      },
      {
        subject: 'Zendesk bulk user import',
        outcome: 'note',
        message: 'cannot be read without creating a user; Tandem learns it at the first create',
        advice:
          'nothing needed: when it is off Tandem creates users one by one (slower); the account owner can ask Zendesk Support to switch it on',
      },
    ];
  } catch (error) {
    return [
      failureOf(
        'Zendesk credentials',
        error,
        'check the Zendesk URL and credentials (TANDEM_ZENDESK_URL, TANDEM_ZENDESK_OAUTH_TOKEN or e-mail and API token); Tandem needs an admin for the incremental exports',
      ),
    ];
  }
}

export async function runChecks(config: TandemConfig, logger: Logger): Promise<CheckResult[]> {
  // One record per page: each SuperOffice list is read once with $top=1. One retry: a check answers soon.
  const connectors = openConnectors(config, logger, {
    superoffice: { pageSize: 1, retries: 1 },
    zendesk: { retries: 1 },
  });
  try {
    const [state, superoffice, zendesk] = await Promise.all([
      checkState(config),
      checkSuperOffice(config, connectors.superoffice),
      checkZendesk(config, connectors.zendesk),
    ]);
    return [...state, ...superoffice, ...zendesk];
  } finally {
    await Promise.allSettled([connectors.superoffice.close(), connectors.zendesk.close()]);
  }
}

export function checkCommand(): CommandUnknownOpts {
  return new Command('check')
    .description(
      'prove the setup without syncing: both sets of credentials and their rights, and the state; one line per result with what to do (exit code: the worst result)',
    )
    .option('--json', 'print the results as JSON')
    .action(async (options) => {
      const config = loadConfig();
      requireConnections(config);
      const results = await runChecks(config, createLogger(config.logLevel));
      process.stdout.write(
        options.json ? `${JSON.stringify(results, null, 2)}\n` : `${checkLines(results).join('\n')}\n`,
      );
      process.exitCode = worstExitCode(results);
    });
}
