/**
 * The one configuration object. Sources, later winning: built-in defaults, an optional YAML file
 * (`tandem.config.yaml` in the working directory, or the file TANDEM_CONFIG names), environment
 * variables. Every value is validated here; a problem names the variable and what it should look like.
 * Secret values never appear in an error message.
 */
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';

export interface SuperOfficeConnection {
  /** A fixed Web API base (on-site, or a pinned host); without it the host is looked up for `customerId`. */
  readonly url?: string;
  /** The Online tenant, `CustNNNNN`. */
  readonly customerId?: string;
  /** `https://{env}.superoffice.com` (or TANDEM_SUPEROFFICE_ENVIRONMENT_URL): tenant status, tokens, tickets. */
  readonly environmentUrl?: string;
  /** The tenant's base time zone (IANA), for ticket dates SuperOffice sends without an offset. */
  readonly timeZone?: string;
  readonly auth:
    | { readonly kind: 'bearer'; readonly token: string }
    | {
        readonly kind: 'system-user-ticket';
        readonly ticket: string;
        readonly appToken: string;
      }
    | {
        readonly kind: 'oauth';
        readonly clientId: string;
        readonly clientSecret: string;
        readonly refreshToken: string;
        readonly accessToken?: string;
      }
    | {
        readonly kind: 'system-user';
        readonly systemUserToken: string;
        readonly privateKey: string;
        readonly clientSecret: string;
        readonly customerId: string;
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
  /** Per setting read, where it came from as the user wrote it: `TANDEM_DB`, or `db in /path/tandem.config.yaml`. */
  readonly origins?: Readonly<Partial<Record<SettingName, string>>>;
  /** The YAML file read, when there is one. */
  readonly configFile?: string;
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
  superofficeCustomerId: {
    env: 'TANDEM_SUPEROFFICE_CUSTOMER_ID',
    yaml: ['superoffice', 'customerId'],
    example: 'Cust12345',
    description:
      "Your SuperOffice Online tenant (context identifier). Tandem looks up the tenant's current host and follows it when SuperOffice moves the tenant.",
  },
  superofficeEnvironment: {
    env: 'TANDEM_SUPEROFFICE_ENVIRONMENT',
    yaml: ['superoffice', 'environment'],
    example: 'online',
    description: 'The SuperOffice Online environment: online (production, default), stage or sod (development).',
  },
  superofficeEnvironmentUrl: {
    env: 'TANDEM_SUPEROFFICE_ENVIRONMENT_URL',
    yaml: ['superoffice', 'environmentUrl'],
    example: 'https://online.superoffice.com',
    description:
      'Overrides where the environment answers (tenant status, tokens, tickets); derived from the environment by default. For tests against a local simulator.',
  },
  superofficeUrl: {
    env: 'TANDEM_SUPEROFFICE_URL',
    yaml: ['superoffice', 'url'],
    example: 'https://crm.example.com/SuperOffice/api/v1',
    description:
      'A fixed Web API base URL ending in /api/v1: for on-site installations. Online tenants move between hosts: set the customer id instead.',
  },
  superofficeSystemUserToken: {
    env: 'TANDEM_SUPEROFFICE_SYSTEM_USER_TOKEN',
    yaml: ['superoffice', 'systemUserToken'],
    example: 'YourApp-k3Jd82hs',
    secret: true,
    description:
      "The system-user token from the administrator's consent; with the private key file, client secret and customer id Tandem obtains and renews system-user tickets itself.",
  },
  superofficePrivateKeyFile: {
    env: 'TANDEM_SUPEROFFICE_PRIVATE_KEY_FILE',
    yaml: ['superoffice', 'privateKeyFile'],
    example: './superoffice-private-key.pem',
    description:
      "Your application's RSA private key (PEM, or the RSA XML from the Developer Portal), for the system-user flow.",
  },
  superofficeClientId: {
    env: 'TANDEM_SUPEROFFICE_CLIENT_ID',
    yaml: ['superoffice', 'clientId'],
    example: 'the application id (client_id)',
    description: 'Your application id, for the OAuth refresh-token grant.',
  },
  superofficeClientSecret: {
    env: 'TANDEM_SUPEROFFICE_CLIENT_SECRET',
    yaml: ['superoffice', 'clientSecret'],
    example: "your application's client secret",
    secret: true,
    description: 'Your application secret: for the refresh-token grant, and the SO-AppToken of the system-user flow.',
  },
  superofficeRefreshToken: {
    env: 'TANDEM_SUPEROFFICE_REFRESH_TOKEN',
    yaml: ['superoffice', 'refreshToken'],
    example: 'an OAuth refresh token',
    secret: true,
    description:
      'An OAuth refresh token (with client id and secret): Tandem renews the hour-long access tokens itself.',
  },
  superofficeToken: {
    env: 'TANDEM_SUPEROFFICE_TOKEN',
    yaml: ['superoffice', 'token'],
    example: 'an OAuth access token (sent as Bearer)',
    secret: true,
    description:
      'OAuth access token for SuperOffice (Bearer). Alone it expires within an hour; with a refresh token it is the first one used.',
  },
  superofficeTimeZone: {
    env: 'TANDEM_SUPEROFFICE_TIME_ZONE',
    yaml: ['superoffice', 'timeZone'],
    example: 'Europe/Oslo',
    description:
      "The tenant's base time zone (IANA name, default UTC): how ticket dates are read if SuperOffice answers them without an offset.",
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
  problems.push(...unknownKeyProblems(file));
  const origins: Partial<Record<SettingName, string>> = {};

  const raw = (name: SettingName): string | undefined => {
    const setting: Setting = settings[name];
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv.trim() !== '') {
      origins[name] = setting.env;
      return fromEnv.trim();
    }
    const fromFile = lookup(file.values, setting.yaml);
    if (fromFile === undefined || fromFile === null) return undefined;
    if (typeof fromFile !== 'string' && typeof fromFile !== 'number') {
      problems.push(`${file.path}: ${setting.yaml.join('.')} should be a single value like ${setting.example}`);
      return undefined;
    }
    origins[name] = `${setting.yaml.join('.')} in ${file.path}`;
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

  const superoffice = readSuperOffice(raw, problems, cwd);
  const zendesk = readZendesk(raw, problems, cwd);
  if (problems.length > 0) {
    throw new ConfigError(problems.map((problem) => namedAsWritten(problem, origins, file.exists)));
  }
  return {
    db,
    superoffice,
    zendesk,
    intervalSeconds,
    sweepMinutes,
    logLevel: logLevel.success ? logLevel.data : 'info',
    origins,
    ...(file.exists ? { configFile: file.path } : {}),
  };
}

/**
 * Problems are written naming environment variables; a value the user set in the YAML file is
 * named by its YAML key instead, so the message points at what they wrote.
 */
function namedAsWritten(problem: string, origins: Partial<Record<SettingName, string>>, fileInUse: boolean): string {
  let named = problem;
  for (const name of Object.keys(settings) as SettingName[]) {
    const setting: Setting = settings[name];
    const origin = origins[name];
    // Unset and a configuration file in use: the key it would take there, and the variable.
    const replacement = origin ?? (fileInUse ? `${setting.yaml.join('.')} (or ${setting.env})` : setting.env);
    if (replacement !== setting.env) named = named.replace(new RegExp(`\\b${setting.env}\\b`, 'g'), () => replacement);
  }
  return named;
}

/** Edit distance between two keys (case-insensitive), for suggesting the key a typo meant. */
function editDistance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}

/**
 * Every key of the YAML file must be a setting Tandem knows: a misspelt key ignored in silence
 * leaves the user believing a setting applies. Each unknown key is named with the nearest valid one.
 */
function unknownKeyProblems(file: ConfigFile): string[] {
  const validPaths = Object.values(settings).map((setting: Setting) => setting.yaml.join('.'));
  const sections = new Set(
    Object.values(settings)
      .filter((setting: Setting) => setting.yaml.length > 1)
      .map((setting: Setting) => setting.yaml.slice(0, -1).join('.')),
  );
  const problems: string[] = [];
  const visit = (values: unknown, prefix: string) => {
    if (values === null || typeof values !== 'object' || Array.isArray(values)) return;
    for (const [key, value] of Object.entries(values)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (sections.has(path)) {
        if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
          const keys = validPaths.filter((valid) => valid.startsWith(`${path}.`));
          problems.push(`${file.path}: ${path} should be a mapping of ${keys.join(', ')}`);
        } else {
          visit(value, path);
        }
      } else if (!validPaths.includes(path)) {
        const candidates = [...validPaths, ...sections].filter(
          (valid) => valid.split('.').length === path.split('.').length,
        );
        const nearest = [...candidates].sort((a, b) => editDistance(path, a) - editDistance(path, b))[0];
        const siblings = candidates
          .filter((valid) => valid.startsWith(prefix))
          .map((valid) => valid.slice(prefix.length ? prefix.length + 1 : 0));
        problems.push(
          `${file.path}: unknown key '${path}'${nearest === undefined ? '' : `; did you mean '${nearest}'?`} (known keys${prefix === '' ? '' : ` under ${prefix}`}: ${siblings.join(', ')})`,
        );
      }
    }
  };
  visit(file.values, '');
  return problems;
}

/** The connections a sync needs; throws ConfigError naming what is missing. */
export function requireConnections(config: TandemConfig): {
  superoffice: SuperOfficeConnection;
  zendesk: ZendeskConnection;
} {
  const problems: string[] = [];
  if (config.superoffice === undefined) {
    problems.push(
      `${settings.superofficeCustomerId.env} (Online, e.g. ${settings.superofficeCustomerId.example}) or ${settings.superofficeUrl.env} (on-site) is not set, with credentials: ${settings.superofficeSystemUserToken.env} + ${settings.superofficePrivateKeyFile.env} + ${settings.superofficeClientSecret.env}, or ${settings.superofficeClientId.env} + ${settings.superofficeClientSecret.env} + ${settings.superofficeRefreshToken.env}`,
    );
  }
  if (config.zendesk === undefined) {
    problems.push(
      `${settings.zendeskUrl.env} is not set; expected e.g. ${settings.zendeskUrl.example}, with ${settings.zendeskOauthToken.env} or ${settings.zendeskEmail.env} + ${settings.zendeskApiToken.env}`,
    );
  }
  if (config.superoffice === undefined || config.zendesk === undefined) {
    throw new ConfigError(
      problems.map((problem) => namedAsWritten(problem, config.origins ?? {}, config.configFile !== undefined)),
    );
  }
  return { superoffice: config.superoffice, zendesk: config.zendesk };
}

function readSuperOffice(
  raw: (name: SettingName) => string | undefined,
  problems: string[],
  cwd: string,
): SuperOfficeConnection | undefined {
  const url = raw('superofficeUrl');
  const customerId = raw('superofficeCustomerId');
  const auth = readSuperOfficeAuth(raw, problems, cwd, customerId);
  if (url === undefined && customerId === undefined) {
    if (auth !== undefined) {
      problems.push(
        `${settings.superofficeCustomerId.env} is not set; expected e.g. ${settings.superofficeCustomerId.example} (Online), or ${settings.superofficeUrl.env} for an on-site installation, e.g. ${settings.superofficeUrl.example}`,
      );
    }
    return undefined;
  }
  if (customerId !== undefined && !/^Cust\d+$/i.test(customerId)) {
    problems.push(
      `${settings.superofficeCustomerId.env} should look like ${settings.superofficeCustomerId.example}, not '${customerId}'`,
    );
  }
  if (url !== undefined) {
    const base = checkUrl('superofficeUrl', url, problems);
    if (base !== undefined && !/\/api\/v1$/.test(base.pathname.replace(/\/+$/, ''))) {
      problems.push(
        `${settings.superofficeUrl.env} should be the tenant's Web API base ending in /api/v1, e.g. ${settings.superofficeUrl.example}; got '${url}'`,
      );
    }
  }
  const needsEnvironment = customerId !== undefined || auth?.kind === 'oauth' || auth?.kind === 'system-user';
  const environmentUrl = needsEnvironment ? readEnvironmentUrl(raw, problems) : undefined;
  const timeZone = raw('superofficeTimeZone');
  if (timeZone !== undefined && !isTimeZone(timeZone)) {
    problems.push(
      `${settings.superofficeTimeZone.env} should be an IANA time zone like ${settings.superofficeTimeZone.example}, not '${timeZone}'`,
    );
  }
  if (auth === undefined) {
    problems.push(
      `SuperOffice credentials are missing: set ${settings.superofficeSystemUserToken.env} + ${settings.superofficePrivateKeyFile.env} + ${settings.superofficeClientSecret.env} (system user), or ${settings.superofficeClientId.env} + ${settings.superofficeClientSecret.env} + ${settings.superofficeRefreshToken.env} (OAuth), or ${settings.superofficeToken.env}, or ${settings.superofficeTicket.env} + ${settings.superofficeAppToken.env}`,
    );
    return undefined;
  }
  return {
    ...(url === undefined ? {} : { url: url.replace(/\/+$/, '') }),
    ...(customerId === undefined ? {} : { customerId }),
    ...(environmentUrl === undefined ? {} : { environmentUrl }),
    ...(timeZone === undefined ? {} : { timeZone }),
    auth,
  };
}

/** SuperOffice Online's environments and their hosts (D-OIDC: sod, qaonline, online). */
const superofficeEnvironments: Readonly<Record<string, string>> = {
  online: 'https://online.superoffice.com',
  stage: 'https://qaonline.superoffice.com',
  qaonline: 'https://qaonline.superoffice.com',
  sod: 'https://sod.superoffice.com',
};

function readEnvironmentUrl(raw: (name: SettingName) => string | undefined, problems: string[]): string | undefined {
  const explicit = raw('superofficeEnvironmentUrl');
  if (explicit !== undefined) {
    return checkUrl('superofficeEnvironmentUrl', explicit, problems) === undefined
      ? undefined
      : explicit.replace(/\/+$/, '');
  }
  const environment = (raw('superofficeEnvironment') ?? 'online').toLowerCase();
  const url = superofficeEnvironments[environment];
  if (url === undefined) {
    problems.push(`${settings.superofficeEnvironment.env} should be online, stage or sod, not '${environment}'`);
  }
  return url;
}

function readSuperOfficeAuth(
  raw: (name: SettingName) => string | undefined,
  problems: string[],
  cwd: string,
  customerId: string | undefined,
): SuperOfficeConnection['auth'] | undefined {
  const clientSecret = raw('superofficeClientSecret');
  const systemUserToken = raw('superofficeSystemUserToken');
  if (systemUserToken !== undefined) {
    const keyFile = raw('superofficePrivateKeyFile');
    const missing = [
      keyFile === undefined ? settings.superofficePrivateKeyFile.env : undefined,
      clientSecret === undefined ? settings.superofficeClientSecret.env : undefined,
      customerId === undefined ? settings.superofficeCustomerId.env : undefined,
    ].filter((name) => name !== undefined);
    if (missing.length > 0) {
      problems.push(
        `the system-user flow (${settings.superofficeSystemUserToken.env}) also needs ${missing.join(', ')}`,
      );
      return undefined;
    }
    const privateKey = readKeyFile(resolve(cwd, keyFile ?? ''), problems);
    if (privateKey === undefined || clientSecret === undefined || customerId === undefined) return undefined;
    return { kind: 'system-user', systemUserToken, privateKey, clientSecret, customerId };
  }
  const refreshToken = raw('superofficeRefreshToken');
  const token = raw('superofficeToken');
  if (refreshToken !== undefined) {
    const clientId = raw('superofficeClientId');
    if (clientId === undefined || clientSecret === undefined) {
      problems.push(
        `to renew SuperOffice access tokens set ${settings.superofficeClientId.env} and ${settings.superofficeClientSecret.env} with ${settings.superofficeRefreshToken.env}`,
      );
      return undefined;
    }
    return {
      kind: 'oauth',
      clientId,
      clientSecret,
      refreshToken,
      ...(token === undefined ? {} : { accessToken: token }),
    };
  }
  if (token !== undefined) return { kind: 'bearer', token };
  const ticket = raw('superofficeTicket');
  const appToken = raw('superofficeAppToken') ?? clientSecret;
  if (ticket !== undefined && appToken !== undefined) return { kind: 'system-user-ticket', ticket, appToken };
  if (ticket !== undefined) {
    problems.push(
      `${settings.superofficeAppToken.env} must be set with ${settings.superofficeTicket.env}; expected ${settings.superofficeAppToken.example}`,
    );
  }
  return undefined;
}

/** The key file's text; its content never appears in a message. */
function readKeyFile(path: string, problems: string[]): string | undefined {
  const name = settings.superofficePrivateKeyFile.env;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    problems.push(`${name} names '${path}', which cannot be read`);
    return undefined;
  }
  const pem = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text);
  if ((!pem && !/<RSAKeyValue>/.test(text)) || (pem && !isPrivateKey(text))) {
    problems.push(`${name} names '${path}', which holds no PEM private key nor RSA XML key (<RSAKeyValue>)`);
    return undefined;
  }
  return text;
}

function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
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
  /** Whether the file exists (its values may still be empty). */
  readonly exists: boolean;
}

function readConfigFile(explicitPath: string | undefined, cwd: string, problems: string[]): ConfigFile {
  const path = resolve(cwd, explicitPath ?? 'tandem.config.yaml');
  if (!existsSync(path)) {
    if (explicitPath !== undefined) problems.push(`TANDEM_CONFIG names '${explicitPath}', which does not exist`);
    return { path, values: {}, exists: false };
  }
  try {
    const values: unknown = parseYaml(readFileSync(path, 'utf8'));
    if (values !== null && values !== undefined && (typeof values !== 'object' || Array.isArray(values))) {
      problems.push(
        `${path} should hold a mapping of settings (see README), not a ${Array.isArray(values) ? 'list' : typeof values}`,
      );
      return { path, values: {}, exists: true };
    }
    return { path, values: values ?? {}, exists: true };
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    problems.push(
      `${path} is not valid YAML${where}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
    return { path, values: {}, exists: true };
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
