import { readFileSync } from 'node:fs';

/**
 * Laurel's one root configuration. It is read from environment variables and an optional JSON file
 * (`LAUREL_CONFIG`); environment variables win. Only the entry point passes `process.env` in: nothing
 * else reads the environment.
 */
export interface LaurelConfig {
  server: { host: string; port: number; publicUrl: string | null; trustProxy: boolean };
  database: { url: string; poolSize: number };
  temporal: { address: string | null; namespace: string; taskQueue: string };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** Directory of the built web app (adapter-node output); null serves no web app. */
  web: { dir: string | null };
  outbox: { pollIntervalMs: number; batchSize: number };
  /** Outgoing e-mail (invitations, password resets): SMTP URL and sender; null url keeps mail in the outbox. */
  mail: { smtpUrl: string | null; from: string };
  /** The catalogue's voucher key (AES-256, 64 hex characters); null: voucher pools cannot be imported or revealed. */
  catalogue: { voucherKey: string | null };
  /** Per-plugin namespace: `enabled` and the plugin's own options. */
  plugins: Record<string, { enabled?: boolean; options?: Record<string, unknown> }>;
}

export class ConfigError extends Error {
  /** One line naming the variable and what it expects. */
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Parsed = { ok: true; value: unknown } | { ok: false };

interface Setting {
  env: string;
  path: readonly string[];
  expects: string;
  parse(raw: unknown): Parsed;
  default?: unknown;
  required?: boolean;
}

const ok = (value: unknown): Parsed => ({ ok: true, value });
const bad: Parsed = { ok: false };

function integer(min: number, max: number) {
  return (raw: unknown): Parsed => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    return Number.isInteger(n) && n >= min && n <= max ? ok(n) : bad;
  };
}
function text(pattern?: RegExp) {
  return (raw: unknown): Parsed => (typeof raw === 'string' && raw.trim() !== '' && (!pattern || pattern.test(raw.trim())) ? ok(raw.trim()) : bad);
}
function oneOf(values: readonly string[]) {
  return (raw: unknown): Parsed => (typeof raw === 'string' && values.includes(raw.trim()) ? ok(raw.trim()) : bad);
}
function bool(raw: unknown): Parsed {
  if (typeof raw === 'boolean') return ok(raw);
  if (typeof raw === 'string' && ['true', '1', 'yes'].includes(raw.trim().toLowerCase())) return ok(true);
  if (typeof raw === 'string' && ['false', '0', 'no'].includes(raw.trim().toLowerCase())) return ok(false);
  return bad;
}
function url(protocols: readonly string[]) {
  return (raw: unknown): Parsed => {
    if (typeof raw !== 'string') return bad;
    try {
      const u = new URL(raw.trim());
      return protocols.includes(u.protocol) ? ok(raw.trim()) : bad;
    } catch {
      return bad;
    }
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const SETTINGS: readonly Setting[] = [
  { env: 'LAUREL_HOST', path: ['server', 'host'], expects: 'a host name or IP address to listen on', parse: text(), default: '127.0.0.1' },
  { env: 'LAUREL_PORT', path: ['server', 'port'], expects: 'an integer between 0 and 65535', parse: integer(0, 65535), default: 3000 },
  { env: 'LAUREL_PUBLIC_URL', path: ['server', 'publicUrl'], expects: 'an http(s) URL such as https://loyalty.example.com', parse: url(['http:', 'https:']), default: null },
  { env: 'LAUREL_TRUST_PROXY', path: ['server', 'trustProxy'], expects: 'true or false', parse: bool, default: false },
  {
    env: 'DATABASE_URL',
    path: ['database', 'url'],
    expects: 'a PostgreSQL URL such as postgres://laurel:secret@localhost:5432/laurel',
    parse: url(['postgres:', 'postgresql:']),
    required: true,
  },
  { env: 'LAUREL_DB_POOL_SIZE', path: ['database', 'poolSize'], expects: 'an integer between 1 and 200', parse: integer(1, 200), default: 10 },
  { env: 'TEMPORAL_ADDRESS', path: ['temporal', 'address'], expects: 'host:port of a Temporal frontend, such as localhost:7233', parse: text(/^[^\s:/]+:\d{1,5}$/), default: null },
  { env: 'TEMPORAL_NAMESPACE', path: ['temporal', 'namespace'], expects: 'a Temporal namespace name', parse: text(/^[\w.-]+$/), default: 'default' },
  { env: 'LAUREL_TASK_QUEUE', path: ['temporal', 'taskQueue'], expects: 'a task queue name (letters, digits, . _ -)', parse: text(/^[\w.-]+$/), default: 'laurel' },
  { env: 'LOG_LEVEL', path: ['log', 'level'], expects: `one of ${LOG_LEVELS.join(', ')}`, parse: oneOf(LOG_LEVELS), default: 'info' },
  { env: 'LAUREL_WEB_DIR', path: ['web', 'dir'], expects: 'the directory of the built web app', parse: text(), default: null },
  { env: 'LAUREL_OUTBOX_POLL_MS', path: ['outbox', 'pollIntervalMs'], expects: 'an integer between 10 and 60000 (milliseconds)', parse: integer(10, 60000), default: 500 },
  { env: 'SMTP_URL', path: ['mail', 'smtpUrl'], expects: 'an SMTP URL such as smtp://user:pass@mail.example.com:587 or smtps://…', parse: url(['smtp:', 'smtps:']), default: null },
  { env: 'MAIL_FROM', path: ['mail', 'from'], expects: 'a sender such as "Laurel <loyalty@example.com>"', parse: text(/@/), default: 'Laurel <laurel@localhost>' },
  {
    env: 'LAUREL_VOUCHER_KEY',
    path: ['catalogue', 'voucherKey'],
    expects: '64 hex characters (a 256-bit key; e.g. openssl rand -hex 32) that encrypts voucher codes at rest',
    parse: text(/^[0-9a-fA-F]{64}$/),
    default: null,
  },
  { env: 'LAUREL_OUTBOX_BATCH', path: ['outbox', 'batchSize'], expects: 'an integer between 1 and 1000', parse: integer(1, 1000), default: 50 },
];

function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    cur[key] ??= {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function show(raw: unknown): string {
  const s = typeof raw === 'string' ? raw : JSON.stringify(raw);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Validate the configuration. Throws `ConfigError` whose message is one line naming the variable (or the
 * file and key) and what it expects. `readFile` is injectable for tests.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): LaurelConfig {
  let file: Record<string, unknown> = {};
  const filePath = env.LAUREL_CONFIG?.trim();
  if (filePath) {
    let content: string;
    try {
      content = readFile(filePath);
    } catch {
      throw new ConfigError(`LAUREL_CONFIG: cannot read ${filePath}; expects the path of a readable JSON configuration file`);
    }
    try {
      const parsed: unknown = JSON.parse(content);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      file = parsed as Record<string, unknown>;
    } catch {
      throw new ConfigError(`LAUREL_CONFIG: ${filePath} is not valid JSON; expects a JSON object`);
    }
  }

  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const fromEnv = env[s.env];
    const fromFile = getPath(file, s.path);
    let value: unknown;
    if (fromEnv !== undefined && fromEnv !== '') {
      const r = s.parse(fromEnv);
      if (!r.ok) throw new ConfigError(`${s.env}: expects ${s.expects} (got "${show(fromEnv)}")`);
      value = r.value;
    } else if (fromFile !== undefined && fromFile !== null) {
      const r = s.parse(fromFile);
      if (!r.ok) throw new ConfigError(`${filePath}: ${s.path.join('.')} expects ${s.expects} (got ${show(JSON.stringify(fromFile))}); or set ${s.env}`);
      value = r.value;
    } else if (s.required) {
      throw new ConfigError(`${s.env}: is required; expects ${s.expects}`);
    } else {
      value = s.default;
    }
    setPath(out, s.path, value);
  }

  const plugins = file.plugins ?? {};
  if (typeof plugins !== 'object' || plugins === null || Array.isArray(plugins)) {
    throw new ConfigError(`${filePath}: plugins expects an object keyed by plugin id`);
  }
  const pluginConfig: LaurelConfig['plugins'] = {};
  for (const [id, entry] of Object.entries(plugins as Record<string, unknown>)) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new ConfigError(`${filePath}: plugins.${id} expects an object like { "enabled": true, "options": {} }`);
    }
    const e = entry as Record<string, unknown>;
    if (e.enabled !== undefined && typeof e.enabled !== 'boolean') throw new ConfigError(`${filePath}: plugins.${id}.enabled expects true or false`);
    if (e.options !== undefined && (typeof e.options !== 'object' || e.options === null || Array.isArray(e.options))) {
      throw new ConfigError(`${filePath}: plugins.${id}.options expects an object`);
    }
    pluginConfig[id] = { enabled: e.enabled as boolean | undefined, options: e.options as Record<string, unknown> | undefined };
  }
  // LAUREL_PLUGINS_DISABLED=a,b turns plugins off without a file.
  for (const id of (env.LAUREL_PLUGINS_DISABLED ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    pluginConfig[id] = { ...pluginConfig[id], enabled: false };
  }
  out.plugins = pluginConfig;
  return out as unknown as LaurelConfig;
}

/** The environment variables Laurel reads, with what each expects (for docs and `--help`). */
export function describeSettings(): { env: string; expects: string; default: unknown; required: boolean }[] {
  return SETTINGS.map((s) => ({ env: s.env, expects: s.expects, default: s.default ?? null, required: s.required ?? false }));
}
