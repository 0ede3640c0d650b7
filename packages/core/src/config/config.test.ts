import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const DB = 'postgres://laurel:secret@localhost:5432/laurel';

describe('loadConfig', () => {
  it('applies defaults around the one required variable', () => {
    const c = loadConfig({ DATABASE_URL: DB });
    expect(c.server).toEqual({ host: '127.0.0.1', port: 3000, publicUrl: null, trustProxy: false });
    expect(c.temporal).toEqual({ address: null, namespace: 'default', taskQueue: 'laurel' });
    expect(c.database.url).toBe(DB);
  });

  it('names a missing variable and what it expects, in one line', () => {
    expect(() => loadConfig({})).toThrow(new ConfigError('DATABASE_URL: is required; expects a PostgreSQL URL such as postgres://laurel:secret@localhost:5432/laurel'));
  });

  it.each([
    ['LAUREL_PORT', 'abc', 'LAUREL_PORT: expects an integer between 0 and 65535 (got "abc")'],
    ['LAUREL_PORT', '70000', 'LAUREL_PORT: expects an integer between 0 and 65535 (got "70000")'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL: expects a PostgreSQL URL such as postgres://laurel:secret@localhost:5432/laurel (got "mysql://x")'],
    ['TEMPORAL_ADDRESS', 'http://temporal:7233', 'TEMPORAL_ADDRESS: expects host:port of a Temporal frontend, such as localhost:7233 (got "http://temporal:7233")'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: expects one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    ['SMTP_URL', 'http://mail', 'SMTP_URL: expects an SMTP URL such as smtp://user:pass@mail.example.com:587 or smtps://… (got "http://mail")'],
  ])('rejects %s=%s', (name, value, message) => {
    let thrown: unknown;
    try {
      loadConfig({ DATABASE_URL: DB, [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toBe(message);
    expect((thrown as Error).message).not.toContain('\n');
  });

  it('reads a JSON file and lets the environment win', () => {
    const file = JSON.stringify({ server: { port: 4000, host: '0.0.0.0' }, plugins: { greetings: { enabled: false, options: { a: 1 } } } });
    const c = loadConfig({ DATABASE_URL: DB, LAUREL_CONFIG: '/etc/laurel.json', LAUREL_PORT: '5000' }, () => file);
    expect(c.server.port).toBe(5000);
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.plugins.greetings).toEqual({ enabled: false, options: { a: 1 } });
  });

  it('names the file and key when a file value is wrong', () => {
    expect(() => loadConfig({ DATABASE_URL: DB, LAUREL_CONFIG: '/etc/laurel.json' }, () => '{"server":{"port":"x"}}')).toThrow(
      '/etc/laurel.json: server.port expects an integer between 0 and 65535 (got "x"); or set LAUREL_PORT',
    );
    expect(() => loadConfig({ DATABASE_URL: DB, LAUREL_CONFIG: '/etc/laurel.json' }, () => '{nope')).toThrow('LAUREL_CONFIG: /etc/laurel.json is not valid JSON; expects a JSON object');
    expect(() =>
      loadConfig({ DATABASE_URL: DB, LAUREL_CONFIG: '/missing.json' }, () => {
        throw new Error('ENOENT');
      }),
    ).toThrow('LAUREL_CONFIG: cannot read /missing.json; expects the path of a readable JSON configuration file');
  });

  it('turns plugins off with LAUREL_PLUGINS_DISABLED', () => {
    expect(loadConfig({ DATABASE_URL: DB, LAUREL_PLUGINS_DISABLED: 'mdf, b2b2c' }).plugins).toEqual({ mdf: { enabled: false }, b2b2c: { enabled: false } });
  });
});
