/**
 * The one configuration object. Sources, later winning: built-in defaults, an optional YAML file
 * (`tandem.config.yaml` in the working directory, or the file TANDEM_CONFIG names), environment
 * variables. Every value is validated here; a problem names the variable and what it should look like.
 * Secret values never appear in an error message.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';

export interface SuperOfficeConnection {
  readonly url: string;
  readonly auth:
    | { readonly kind: 'bearer'; readonly token: string }
    | {
        readonly kind: 'system-user-ticket';
        readonly ticket: string;
        readonly appToken: string;
      };
}

export interface ZendeskConnection {
  readonly url: string;
  readonly auth:
    | {
        readonly kind: 'oauth';
        readonly accessToken: string;
        readonly refresh?: { readonly clientId: string; readonly clientSecret: string; readonly refreshToken: string };
        /** File that keeps renewed tokens across restarts. */
        readonly tokenFile?: string;
      }
    | { readonly kind: 'api-token'; readonly email: string; readonly token: string };
}

export interface TandemConfig {
  /** SQLite file path, or a postgres:// URL. */
  readonly db: string;
  readonly superoffice: SuperOfficeConnection | undefined;
  readonly zendesk: ZendeskConnection | undefined;
  /** Seconds between cycles for `tandem run`. */
  readonly intervalSeconds: number;
  /** Minutes between full sweeps that catch edits no change feed reports. */
  readonly sweepMinutes: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** One setting: its environment variable, its YAML path, and what a good value looks like. */
interface Setting {
  readonly env: string;
  readonly yaml: readonly string[];
  readonly example: string;
  readonly secret?: boolean;
  readonly description: string;
}

export const settings = {
  db: {
    env: 'TANDEM_DB',
    yaml: ['db'],
    example: './tandem.db or postgres://user@host:5432/tandem',
    description: 'Where Tandem keeps its state: a SQLite file path (default ./tandem.db) or a postgres:// URL.',
  },
  superofficeUrl: {
    env: 'TANDEM_SUPEROFFICE_URL',
    yaml: ['superoffice', 'url'],
    example: 'https://online3.superoffice.com/Cust12345/api/v1',
    description: "Your tenant's Web API base URL, ending in /api/v1.",
  },
  superofficeToken: {
    env: 'TANDEM_SUPEROFFICE_TOKEN',
    yaml: ['superoffice', 'token'],
    example: 'an OAuth access token (sent as Bearer)',
    secret: true,
    description: 'OAuth access token for SuperOffice (Bearer).',
  },
  superofficeTicket: {
    env: 'TANDEM_SUPEROFFICE_TICKET',
    yaml: ['superoffice', 'ticket'],
    example: 'a system-user ticket such as 7T:...',
    secret: true,
    description: 'System-user ticket (SOTicket); needs TANDEM_SUPEROFFICE_APP_TOKEN too.',
  },
  superofficeAppToken: {
    env: 'TANDEM_SUPEROFFICE_APP_TOKEN',
    yaml: ['superoffice', 'appToken'],
    example: "your application's client secret",
    secret: true,
    description: 'Application token sent as SO-AppToken with a system-user ticket.',
  },
  zendeskUrl: {
    env: 'TANDEM_ZENDESK_URL',
    yaml: ['zendesk', 'url'],
    example: 'https://acme.zendesk.com',
    description: 'Your Zendesk account URL, without /api/v2.',
  },
  zendeskOauthToken: {
    env: 'TANDEM_ZENDESK_OAUTH_TOKEN',
    yaml: ['zendesk', 'oauthToken'],
    example: 'an OAuth access token (sent as Bearer)',
    secret: true,
    description: 'OAuth access token for Zendesk (Bearer). Preferred: Zendesk retires API tokens in 2027.',
  },
  zendeskClientId: {
    env: 'TANDEM_ZENDESK_CLIENT_ID',
    yaml: ['zendesk', 'clientId'],
    example: 'the OAuth client identifier',
    description: 'Optional, with client secret and refresh token: renews the Zendesk access token when it expires.',
  },
  zendeskClientSecret: {
    env: 'TANDEM_ZENDESK_CLIENT_SECRET',
    yaml: ['zendesk', 'clientSecret'],
    example: 'the OAuth client secret',
    secret: true,
    description: 'Optional OAuth client secret (for refreshing the access token).',
  },
  zendeskRefreshToken: {
    env: 'TANDEM_ZENDESK_REFRESH_TOKEN',
    yaml: ['zendesk', 'refreshToken'],
    example: 'an OAuth refresh token',
    secret: true,
    description: 'Optional OAuth refresh token (for refreshing the access token).',
  },
  zendeskTokenFile: {
    env: 'TANDEM_ZENDESK_TOKEN_FILE',
    yaml: ['zendesk', 'tokenFile'],
    example: './tandem-zendesk-tokens.json',
    description:
      'Where renewed Zendesk OAuth tokens are kept (default ./tandem-zendesk-tokens.json); each refresh retires the previous refresh token.',
  },
  zendeskEmail: {
    env: 'TANDEM_ZENDESK_EMAIL',
    yaml: ['zendesk', 'email'],
    example: 'agent@acme.com',
    description: "The agent's e-mail that goes with TANDEM_ZENDESK_API_TOKEN.",
  },
  zendeskApiToken: {
    env: 'TANDEM_ZENDESK_API_TOKEN',
    yaml: ['zendesk', 'apiToken'],
    example: 'a Zendesk API token',
    secret: true,
    description: 'Zendesk API token (with TANDEM_ZENDESK_EMAIL). Zendesk stops accepting API tokens on 2027-04-30.',
  },
  intervalSeconds: {
    env: 'TANDEM_INTERVAL_SECONDS',
    yaml: ['intervalSeconds'],
    example: '60',
    description: 'Seconds between cycles of `tandem run` (default 60).',
  },
  sweepMinutes: {
    env: 'TANDEM_SWEEP_MINUTES',
    yaml: ['sweepMinutes'],
    example: '360',
    description: 'Minutes between full sweeps that catch edits no change feed reports (default 360).',
  },
  logLevel: {
    env: 'TANDEM_LOG_LEVEL',
    yaml: ['logLevel'],
    example: 'info',
    description: 'debug, info, warn or error (default info).',
  },
} as const satisfies Record<string, Setting>;

type SettingName = keyof typeof settings;

/** Where renewed Zendesk tokens are kept when the configuration names no file (README). */
export const defaultZendeskTokenFile = './tandem-zendesk-tokens.json';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      `Tandem's configuration has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory in which tandem.config.yaml is looked for. */
  readonly cwd?: string;
}

/** Reads and validates the configuration; throws ConfigError listing every problem found. */
export function loadConfig(sources: ConfigSources = {}): TandemConfig {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const problems: string[] = [];
  const file = readConfigFile(env.TANDEM_CONFIG, cwd, problems);

  const raw = (name: SettingName): string | undefined => {
    const setting: Setting = settings[name];
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
    const fromFile = lookup(file.values, setting.yaml);
    if (fromFile === undefined || fromFile === null) return undefined;
    if (typeof fromFile !== 'string' && typeof fromFile !== 'number') {
      problems.push(`${file.path}: ${setting.yaml.join('.')} should be a single value like ${setting.example}`);
      return undefined;
    }
    return String(fromFile).trim();
  };

  const db = raw('db') ?? './tandem.db';
  const intervalSeconds = positiveNumber('intervalSeconds', raw('intervalSeconds'), 60, problems);
  const sweepMinutes = positiveNumber('sweepMinutes', raw('sweepMinutes'), 360, problems);
  const logLevelRaw = raw('logLevel') ?? 'info';
  const logLevel = z.enum(['debug', 'info', 'warn', 'error']).safeParse(logLevelRaw);
  if (!logLevel.success)
    problems.push(`${settings.logLevel.env} should be debug, info, warn or error, not '${logLevelRaw}'`);
  if (db.startsWith('postgres') && !/^postgres(ql)?:\/\/[^\s]+$/.test(db)) {
    problems.push(`${settings.db.env} looks like a PostgreSQL URL but is not one; expected ${settings.db.example}`);
  }

  const superoffice = readSuperOffice(raw, problems);
  const zendesk = readZendesk(raw, problems, cwd);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    db,
    superoffice,
    zendesk,
    intervalSeconds,
    sweepMinutes,
    logLevel: logLevel.success ? logLevel.data : 'info',
  };
}

/** The connections a sync needs; throws ConfigError naming what is missing. */
export function requireConnections(config: TandemConfig): {
  superoffice: SuperOfficeConnection;
  zendesk: ZendeskConnection;
} {
  const problems: string[] = [];
  if (config.superoffice === undefined) {
    problems.push(
      `${settings.superofficeUrl.env} is not set; expected e.g. ${settings.superofficeUrl.example}, with ${settings.superofficeToken.env} or ${settings.superofficeTicket.env} + ${settings.superofficeAppToken.env}`,
    );
  }
  if (config.zendesk === undefined) {
    problems.push(
      `${settings.zendeskUrl.env} is not set; expected e.g. ${settings.zendeskUrl.example}, with ${settings.zendeskOauthToken.env} or ${settings.zendeskEmail.env} + ${settings.zendeskApiToken.env}`,
    );
  }
  if (config.superoffice === undefined || config.zendesk === undefined) throw new ConfigError(problems);
  return { superoffice: config.superoffice, zendesk: config.zendesk };
}

function readSuperOffice(
  raw: (name: SettingName) => string | undefined,
  problems: string[],
): SuperOfficeConnection | undefined {
  const url = raw('superofficeUrl');
  const token = raw('superofficeToken');
  const ticket = raw('superofficeTicket');
  const appToken = raw('superofficeAppToken');
  if (url === undefined) {
    if (token !== undefined || ticket !== undefined) {
      problems.push(`${settings.superofficeUrl.env} is not set; expected e.g. ${settings.superofficeUrl.example}`);
    }
    return undefined;
  }
  const base = checkUrl('superofficeUrl', url, problems);
  if (base !== undefined && !/\/api\/v1$/.test(base.pathname.replace(/\/+$/, ''))) {
    problems.push(
      `${settings.superofficeUrl.env} should be the tenant's Web API base ending in /api/v1, e.g. ${settings.superofficeUrl.example}; got '${url}'`,
    );
  }
  const cleanUrl = url.replace(/\/+$/, '');
  if (token !== undefined) return { url: cleanUrl, auth: { kind: 'bearer', token } };
  if (ticket !== undefined && appToken !== undefined) {
    return { url: cleanUrl, auth: { kind: 'system-user-ticket', ticket, appToken } };
  }
  if (ticket !== undefined) {
    problems.push(
      `${settings.superofficeAppToken.env} must be set with ${settings.superofficeTicket.env}; expected ${settings.superofficeAppToken.example}`,
    );
  } else {
    problems.push(
      `SuperOffice credentials are missing: set ${settings.superofficeToken.env} (${settings.superofficeToken.example}) or ${settings.superofficeTicket.env} and ${settings.superofficeAppToken.env}`,
    );
  }
  return undefined;
}

function readZendesk(
  raw: (name: SettingName) => string | undefined,
  problems: string[],
  cwd: string,
): ZendeskConnection | undefined {
  const url = raw('zendeskUrl');
  const oauthToken = raw('zendeskOauthToken');
  const email = raw('zendeskEmail');
  const apiToken = raw('zendeskApiToken');
  if (url === undefined) {
    if (oauthToken !== undefined || apiToken !== undefined) {
      problems.push(`${settings.zendeskUrl.env} is not set; expected e.g. ${settings.zendeskUrl.example}`);
    }
    return undefined;
  }
  const base = checkUrl('zendeskUrl', url, problems);
  if (base !== undefined && base.pathname.replace(/\/+$/, '') !== '') {
    problems.push(
      `${settings.zendeskUrl.env} should be the account URL alone, e.g. ${settings.zendeskUrl.example} (Tandem adds /api/v2 itself); got '${url}'`,
    );
  }
  const cleanUrl = url.replace(/\/+$/, '');
  if (oauthToken !== undefined) {
    const clientId = raw('zendeskClientId');
    const clientSecret = raw('zendeskClientSecret');
    const refreshToken = raw('zendeskRefreshToken');
    const refreshParts = [clientId, clientSecret, refreshToken].filter((part) => part !== undefined).length;
    if (refreshParts > 0 && refreshParts < 3) {
      problems.push(
        `to refresh the Zendesk token set all three of ${settings.zendeskClientId.env}, ${settings.zendeskClientSecret.env} and ${settings.zendeskRefreshToken.env}, or none`,
      );
    }
    if (clientId === undefined || clientSecret === undefined || refreshToken === undefined) {
      return { url: cleanUrl, auth: { kind: 'oauth', accessToken: oauthToken } };
    }
    // Each refresh retires the configured refresh token (OEXP): the renewed pair must outlive the process.
    const tokenFile = resolve(cwd, raw('zendeskTokenFile') ?? defaultZendeskTokenFile);
    return {
      url: cleanUrl,
      auth: { kind: 'oauth', accessToken: oauthToken, refresh: { clientId, clientSecret, refreshToken }, tokenFile },
    };
  }
  if (email !== undefined && apiToken !== undefined) {
    if (!z.email().safeParse(email).success) {
      problems.push(`${settings.zendeskEmail.env} should be an e-mail address like ${settings.zendeskEmail.example}`);
    }
    return { url: cleanUrl, auth: { kind: 'api-token', email, token: apiToken } };
  }
  problems.push(
    `Zendesk credentials are missing: set ${settings.zendeskOauthToken.env} (${settings.zendeskOauthToken.example}) or ${settings.zendeskEmail.env} and ${settings.zendeskApiToken.env}`,
  );
  return undefined;
}

/** A URL must be absolute http(s); plain http only for this machine (the bundled simulators). */
function checkUrl(name: SettingName, value: string, problems: string[]): URL | undefined {
  const setting: Setting = settings[name];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${setting.env} is not a URL: '${value}'; expected e.g. ${setting.example}`);
    return undefined;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    problems.push(
      `${setting.env} must use https:// (plain http only for localhost); got '${value}'. Expected e.g. ${setting.example}`,
    );
    return undefined;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    problems.push(`${setting.env} must not carry credentials, a query or a fragment; expected e.g. ${setting.example}`);
    return undefined;
  }
  return url;
}

function positiveNumber(name: SettingName, value: string | undefined, fallback: number, problems: string[]): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    problems.push(`${settings[name].env} should be a positive number like ${settings[name].example}, not '${value}'`);
    return fallback;
  }
  return number;
}

interface ConfigFile {
  readonly path: string;
  readonly values: unknown;
}

function readConfigFile(explicitPath: string | undefined, cwd: string, problems: string[]): ConfigFile {
  const path = resolve(cwd, explicitPath ?? 'tandem.config.yaml');
  if (!existsSync(path)) {
    if (explicitPath !== undefined) problems.push(`TANDEM_CONFIG names '${explicitPath}', which does not exist`);
    return { path, values: {} };
  }
  try {
    const values: unknown = parseYaml(readFileSync(path, 'utf8'));
    if (values !== null && values !== undefined && (typeof values !== 'object' || Array.isArray(values))) {
      problems.push(
        `${path} should hold a mapping of settings (see README), not a ${Array.isArray(values) ? 'list' : typeof values}`,
      );
      return { path, values: {} };
    }
    return { path, values: values ?? {} };
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    problems.push(
      `${path} is not valid YAML${where}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
    return { path, values: {} };
  }
}

function lookup(values: unknown, path: readonly string[]): unknown {
  let current: unknown = values;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
