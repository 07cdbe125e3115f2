import { describe, expect, it } from 'vitest';
import { appConfig, parseConfig } from '../../src/core/config.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (error) {
    return (error as { details: Array<{ path: string; message: string }> }).details;
  }
  return [];
};
const keys = { adminKeys: ['admin-key-0123456789'], writeKeys: ['write-key-0123456789'], secret: 'secret-0123456789abcdef' };

describe('settings for collecting behaviour', () => {
  it('are off by default: no browser key, no CORS origin, no webhook secret', () => {
    const config = appConfig(parseConfig({}), keys);
    expect(config.browserKeys).toEqual([]);
    expect(config.corsOrigins).toEqual([]);
    expect(config.webhookSecrets).toEqual([]);
  });

  it('reads comma-separated browser keys, origins and webhook secrets', () => {
    const config = appConfig(
      parseConfig({
        OPENTIME_BROWSER_KEY: 'browser-key-0123456789, browser-key-next-0123',
        OPENTIME_CORS_ORIGINS: 'https://shop.example.com/, HTTPS://Shop.Example.com:8443,http://localhost:3000',
        OPENTIME_WEBHOOK_SECRET: 'segment-secret-0123456789',
      }),
      keys,
    );
    expect(config.browserKeys).toEqual(['browser-key-0123456789', 'browser-key-next-0123']);
    // Browsers send Origin without a trailing slash and with a lower-case host.
    expect(config.corsOrigins).toEqual(['https://shop.example.com', 'https://shop.example.com:8443', 'http://localhost:3000']);
    expect(config.webhookSecrets).toEqual(['segment-secret-0123456789']);
    expect(parseConfig({ OPENTIME_CORS_ORIGINS: '*' }).OPENTIME_CORS_ORIGINS).toEqual(['*']);
  });

  it('refuses an origin with a path, a bare host, and short keys, all at once', () => {
    const problems = problemsOf({ OPENTIME_CORS_ORIGINS: 'https://shop.example.com/store, shop.example.com', OPENTIME_BROWSER_KEY: 'short', OPENTIME_WEBHOOK_SECRET: 'short' });
    expect(problems.map((p) => p.path).sort()).toEqual(['OPENTIME_BROWSER_KEY', 'OPENTIME_CORS_ORIGINS', 'OPENTIME_WEBHOOK_SECRET']);
    expect(problems.find((p) => p.path === 'OPENTIME_CORS_ORIGINS')?.message).toContain('https://shop.example.com (no path)');
  });

  it('takes OPENTIME_IDENTITY_SECRET for verified browser user ids, and refuses a short one', () => {
    expect(appConfig(parseConfig({}), keys).identitySecret).toBeUndefined();
    expect(appConfig(parseConfig({ OPENTIME_IDENTITY_SECRET: 'identity-secret-0123456789' }), keys).identitySecret).toBe('identity-secret-0123456789');
    expect(problemsOf({ OPENTIME_IDENTITY_SECRET: 'short' })).toEqual([{ path: 'OPENTIME_IDENTITY_SECRET', message: expect.stringContaining('at least 16 characters') }]);
  });
});
