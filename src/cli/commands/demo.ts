import { rmSync } from 'node:fs';
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { type SuperOfficeSimulator, startSuperOfficeSimulator } from '../../../simulators/superoffice/index.js';
import { startZendeskSimulator, type ZendeskSimulator } from '../../../simulators/zendesk/index.js';
import { loadConfig } from '../../config/config.js';
import type { CycleReport } from '../../engine/cycle-report.js';
import { signalExitCode } from '../failure.js';
import { createLogger } from '../logger.js';
import { ProgressDisplay } from '../progress-display.js';
import { cycleLines } from '../report-text.js';
import { listenForStop } from '../stop-signal.js';
import { runSyncLoop } from '../sync-loop.js';
import { openTenant } from '../tenant.js';
import { onFreePort, parseCount, parsePort } from './simulate.js';

const token = 'sim-token';

/**
 * Prepares a few Zendesk users that already exist before the first sync, so the demo shows the merge
 * rules: a user and a person that link on e-mail instead of being created, and an agent who can be
 * a ticket's assignee.
 */
function seedExistingZendeskUsers(superoffice: SuperOfficeSimulator, zendesk: ZendeskSimulator): string[] {
  const notes: string[] = [];
  const firstEmail = (personId: number) => superoffice.data.persons.get(personId)?.emails[0]?.value;
  const associate = [...superoffice.data.associates.values()].find((row) => firstEmail(row.personId) !== undefined);
  if (associate !== undefined) {
    const email = firstEmail(associate.personId) ?? '';
    zendesk.data.createUser({ name: associate.userName || associate.name, email, role: 'agent' });
    notes.push(
      `SuperOffice user ${associate.associateId} <${email}> already exists in Zendesk: it will be linked, not created`,
    );
  }
  const ticketPersons = new Set([...superoffice.data.tickets.values()].map((ticket) => ticket.personId));
  const offTicket = [...superoffice.data.persons.values()].find(
    (person) =>
      !ticketPersons.has(person.personId) &&
      person.emails.length > 0 &&
      !isAssociatePerson(superoffice, person.personId),
  );
  if (offTicket !== undefined) {
    const email = offTicket.emails[0]?.value ?? '';
    zendesk.data.createUser({ name: `${offTicket.firstname} ${offTicket.lastname}`, email, role: 'end-user' });
    notes.push(
      `SuperOffice person ${offTicket.personId} <${email}> is on no ticket but already in Zendesk: it will be linked`,
    );
  }
  const firstTicket = [...superoffice.data.tickets.values()].find(
    (ticket) => firstEmail(ticket.personId) !== undefined,
  );
  if (firstTicket !== undefined) {
    const email = firstEmail(firstTicket.personId) ?? '';
    if (zendesk.data.userByEmail(email) === undefined) {
      zendesk.data.createUser({ name: 'Support Agent', email, role: 'agent' });
      notes.push(
        `the person of SuperOffice ticket ${firstTicket.ticketId} <${email}> is a Zendesk agent: it becomes the assignee`,
      );
    }
  }
  return notes;
}

function isAssociatePerson(superoffice: SuperOfficeSimulator, personId: number): boolean {
  return [...superoffice.data.associates.values()].some((row) => row.personId === personId);
}

function curlLines(superoffice: SuperOfficeSimulator, zendesk: ZendeskSimulator): string[] {
  const contact = [...superoffice.data.contacts.values()][0];
  const person = [...superoffice.data.persons.values()].find((row) => row.contactId !== 0);
  const organization = zendesk.data.organizations().find((row) => row.external_id !== null);
  const ticket = zendesk.data.tickets().find((row) => row.external_id !== null);
  const lines = ['Edit a record in either system and watch it travel (paste into another terminal):', ''];
  if (contact !== undefined) {
    lines.push(
      '  # SuperOffice: rename a company',
      `  curl -X PATCH -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' \\`,
      `    -d '{"Name":"${contact.name} (renamed in SuperOffice)"}' ${superoffice.url}/Contact/${contact.contactId}`,
      '',
    );
  }
  if (person !== undefined) {
    lines.push(
      "  # SuperOffice: change a person's first e-mail (e-mail edits are caught by the periodic sweep)",
      `  curl -X PATCH -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' \\`,
      `    -d '[{"op":"replace","path":"/Emails/0/Value","value":"new.address@example.com"}]' ${superoffice.url}/Person/${person.personId}`,
      '',
    );
  }
  if (organization !== undefined) {
    lines.push(
      '  # Zendesk: rename an organization',
      `  curl -X PUT -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' \\`,
      `    -d '{"organization":{"name":"${organization.name} (renamed in Zendesk)"}}' ${zendesk.url}/api/v2/organizations/${organization.id}.json`,
      '',
    );
  }
  if (ticket !== undefined) {
    lines.push(
      "  # Zendesk: change a ticket's subject",
      `  curl -X PUT -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' \\`,
      `    -d '{"ticket":{"subject":"Changed in Zendesk"}}' ${zendesk.url}/api/v2/tickets/${ticket.id}.json`,
      '',
    );
  }
  return lines;
}

function changeLines(report: CycleReport): string[] {
  const lines: string[] = [];
  for (const update of report.updates.slice(0, 20))
    lines.push(`  updated ${update.target}: ${JSON.stringify(update.values)}`);
  for (const create of report.creates.slice(0, 20)) lines.push(`  created ${create.target} from ${create.origin}`);
  for (const conflict of report.conflicts.slice(0, 20)) {
    lines.push(
      `  conflict on ${conflict.attribute}: ${JSON.stringify(conflict.winner.value)} from ${conflict.winner.member} won`,
    );
  }
  for (const failure of report.failures.slice(0, 20))
    lines.push(`  failed ${failure.target}: ${failure.error.message}`);
  return lines;
}

export function demoCommand(): CommandUnknownOpts {
  return new Command('demo')
    .description(
      'start local SuperOffice and Zendesk simulators with generated data, sync them, then keep syncing and show edits travel both ways (Ctrl-C to stop)',
    )
    .option('--db <file>', 'SQLite file for the demo state (started afresh each run)', './tandem-demo.db')
    .option('--interval <seconds>', 'seconds between cycles', parseCount, 5)
    .option('--cycles <n>', 'stop after this many cycles (0 = keep going)', parseCount, 0)
    .option('--seed <n>', 'seed for the generated data', parseCount, 7)
    .option('--contacts <n>', 'SuperOffice contacts to generate', parseCount, 40)
    .option('--persons <n>', 'SuperOffice persons to generate', parseCount, 150)
    .option('--tickets <n>', 'SuperOffice tickets to generate', parseCount, 60)
    .option('--users <n>', 'SuperOffice users to generate', parseCount, 8)
    .option('--superoffice-port <port>', 'port of the SuperOffice simulator (0 picks a free one)', parsePort, 4101)
    .option('--zendesk-port <port>', 'port of the Zendesk simulator (0 picks a free one)', parsePort, 4102)
    .action(async (options) => {
      const config = loadConfig();
      const logger = createLogger('warn');
      const out = (line = '') => process.stdout.write(`${line}\n`);
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${options.db}${suffix}`, { force: true });

      const superoffice = await onFreePort(options.superofficePort, '--superoffice-port', () =>
        startSuperOfficeSimulator({
          port: options.superofficePort,
          seed: options.seed,
          contacts: options.contacts,
          persons: options.persons,
          tickets: options.tickets,
          users: options.users,
        }),
      );
      // The real Zendesk holds back the last minute of its change feed; the demo shows edits at once.
      const zendesk = await onFreePort(options.zendeskPort, '--zendesk-port', () =>
        startZendeskSimulator({
          port: options.zendeskPort,
          seed: options.seed,
          users: 5,
          agents: 2,
          rateLimits: false,
          incrementalWithholdSeconds: 0,
        }),
      ).catch(async (error: unknown) => {
        await superoffice.close();
        throw error;
      });
      let progress: ProgressDisplay | undefined;
      const stop = listenForStop();
      const tenant = await openTenant(
        {
          ...config,
          db: options.db,
          superoffice: { url: superoffice.url, auth: { kind: 'bearer', token } },
          zendesk: { url: zendesk.url, auth: { kind: 'oauth', accessToken: token } },
        },
        logger,
        {
          zendesk: {
            rateLimitPerMinute: 6000,
            incrementalPerMinute: 600,
            perUserUpdatesPerMinute: 600,
            jobPollDelayMs: 20,
          },
          engine: { onProgress: (event) => progress?.update(event) },
        },
      );
      try {
        out('Tandem demo');
        out(`  SuperOffice simulator: ${superoffice.url}`);
        out(`  Zendesk simulator:     ${zendesk.url}/api/v2`);
        out(`  state:                 ${options.db}`);
        out();
        for (const note of seedExistingZendeskUsers(superoffice, zendesk)) out(`  · ${note}`);
        out();
        out('Initial sync:');
        progress = new ProgressDisplay();
        const initial = await tenant.engine.runCycle({ sweep: true, signal: stop.signal });
        progress.stop();
        progress = undefined;
        for (const line of cycleLines(initial).slice(0, 1)) out(`  ${line}`);
        out(
          `  Zendesk now has ${zendesk.data.organizations().length} organizations, ${zendesk.data.users().length} users and ${zendesk.data.tickets().length} tickets.`,
        );
        out();
        for (const line of curlLines(superoffice, zendesk)) out(line);
        if (options.cycles === 1) return;
        out(`Syncing every ${options.interval} s; edits show up below. Ctrl-C stops.`);
        await runSyncLoop({
          engine: tenant.engine,
          intervalMs: options.interval * 1000,
          sweepIntervalMs: 30_000,
          signal: stop.signal,
          ...(options.cycles > 0 ? { maxCycles: options.cycles - 1 } : {}),
          onCycle: (report) => {
            const lines = changeLines(report);
            if (lines.length > 0) {
              out(`${new Date().toLocaleTimeString()} ${cycleLines(report)[0]}`);
              for (const line of lines) out(line);
            }
          },
          onCycleFailure: (error) => out(`cycle failed: ${error instanceof Error ? error.message : String(error)}`),
        });
      } finally {
        stop.dispose();
        await tenant.close();
        await Promise.all([superoffice.close(), zendesk.close()]);
        out('Demo stopped.');
      }
      const signal = stop.received();
      if (signal !== undefined) process.exitCode = signalExitCode(signal);
    });
}
