/** Starts the Zendesk simulator and a connector pointed at it, tuned for fast tests. */
import {
  createManualClock,
  startZendeskSimulator,
  type ZendeskSimulator,
  type ZendeskSimulatorOptions,
} from '../../../simulators/zendesk/index.js';
import type { ChangePage } from '../../../src/connectors/connector.js';
import { ZendeskConnector, type ZendeskConnectorOptions } from '../../../src/connectors/zendesk/zendesk-connector.js';
import type { RecordType } from '../../../src/core/model.js';

export interface Harness {
  readonly simulator: ZendeskSimulator;
  readonly connector: ZendeskConnector;
  readonly logs: { level: string; message: string }[];
  close(): Promise<void>;
}

export async function startHarness(
  simulatorOptions: ZendeskSimulatorOptions = {},
  connectorOptions: Partial<ZendeskConnectorOptions> = {},
): Promise<Harness> {
  const simulator = await startZendeskSimulator({ clock: createManualClock(), ...simulatorOptions });
  const logs: { level: string; message: string }[] = [];
  const connector = new ZendeskConnector({
    url: simulator.url,
    auth: { kind: 'oauth', accessToken: 'sim-token' },
    jobPollDelayMs: 10,
    jobPollMaxDelayMs: 200,
    retryDelayMs: { min: 10, max: 200 },
    log: (event) => logs.push(event),
    ...connectorOptions,
  });
  return {
    simulator,
    connector,
    logs,
    close: async () => {
      await connector.close();
      await simulator.close();
    },
  };
}

export async function collect(pages: AsyncIterable<ChangePage>): Promise<ChangePage[]> {
  const collected: ChangePage[] = [];
  for await (const page of pages) collected.push(page);
  return collected;
}

export async function readFeed(connector: ZendeskConnector, type: RecordType, cursor: string | null) {
  const pages = await collect(connector.readChanges(type, cursor));
  const last = pages.at(-1);
  if (last === undefined) throw new Error('a read yields at least one page');
  return { pages, records: pages.flatMap((page) => page.records), cursor: last.cursor };
}
