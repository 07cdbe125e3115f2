import { describe, expect, it } from 'vitest';
import { appConfig, imageFetchSettings, parseConfig } from '../../src/core/config.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (error) {
    return (error as { details: Array<{ path: string; message: string }> }).details;
  }
  return [];
};

describe('store selection in the configuration', () => {
  it('uses the embedded store when no Redis is named', () => {
    const raw = parseConfig({});
    expect(raw.REDIS_URL).toBeUndefined();
    expect(raw.REDIS_CLUSTER_NODES).toEqual([]);
  });

  it('takes a redis:// or rediss:// URL and refuses anything else', () => {
    expect(parseConfig({ REDIS_URL: 'rediss://cache.example.com:6380/0' }).REDIS_URL).toBe('rediss://cache.example.com:6380/0');
    expect(problemsOf({ REDIS_URL: 'http://cache.example.com' })).toEqual([{ path: 'REDIS_URL', message: 'expected a redis:// or rediss:// URL' }]);
  });

  it('reads cluster nodes as host:port, comma-separated, IPv6 in brackets', () => {
    expect(parseConfig({ REDIS_CLUSTER_NODES: 'node-1:7000, 10.0.0.2:7001,[::1]:7002' }).REDIS_CLUSTER_NODES).toEqual([
      { host: 'node-1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'node-1:7000,node-2' })).toEqual([{ path: 'REDIS_CLUSTER_NODES', message: 'expected host:port, comma-separated' }]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'node-1:70000' })).toHaveLength(1);
  });

  it('refuses REDIS_URL and REDIS_CLUSTER_NODES together, along with every other problem', () => {
    expect(problemsOf({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000', PORT: 'eighty' })).toEqual([
      expect.objectContaining({ path: 'PORT' }),
      { path: 'REDIS_CLUSTER_NODES', message: 'set REDIS_URL or REDIS_CLUSTER_NODES, not both' },
    ]);
  });
});

describe('photo fetching in the configuration', () => {
  it('fetches from any public host on default ports by default, private addresses off', () => {
    const settings = imageFetchSettings(parseConfig({}));
    expect(settings).toEqual({ policy: { hosts: undefined, allowPrivate: false }, maxRedirects: 3, maxBytes: undefined, maxPixels: undefined });
  });

  it('reads the host list and limits', () => {
    const settings = imageFetchSettings(
      parseConfig({
        OPENTIME_IMAGE_HOSTS: 'cdn.shop.com,*.imgix.net:8443',
        OPENTIME_IMAGE_ALLOW_PRIVATE: '1',
        OPENTIME_IMAGE_MAX_REDIRECTS: '0',
        OPENTIME_IMAGE_MAX_BYTES: '2000000',
        OPENTIME_IMAGE_MAX_PIXELS: '1000000',
      }),
    );
    expect(settings.policy.hosts).toEqual([
      { host: 'cdn.shop.com', subdomains: false, port: undefined },
      { host: 'imgix.net', subdomains: true, port: 8443 },
    ]);
    expect([settings.policy.allowPrivate, settings.maxRedirects, settings.maxBytes, settings.maxPixels]).toEqual([true, 0, 2_000_000, 1_000_000]);
  });

  it('reports every host entry that is not a host, with the other problems', () => {
    expect(problemsOf({ OPENTIME_IMAGE_HOSTS: 'https://cdn.shop.com/,ok.com,a b', OPENTIME_IMAGE_MAX_REDIRECTS: '50' })).toEqual([
      { path: 'OPENTIME_IMAGE_HOSTS', message: expect.stringContaining('"https://cdn.shop.com/": expected host names like cdn.example.com') },
      { path: 'OPENTIME_IMAGE_HOSTS', message: expect.stringContaining('"a b": expected host names') },
      expect.objectContaining({ path: 'OPENTIME_IMAGE_MAX_REDIRECTS' }),
    ]);
  });
});

describe('production defaults', () => {
  const keys = { adminKeys: ['admin-key-from-the-env-0123'], writeKeys: ['write-key-from-the-env-0123'], secret: 'secret-0123456789abcdef' };

  it('serves the demo in development, not with NODE_ENV=production unless OPENTIME_DEMO=1', () => {
    expect(appConfig(parseConfig({}), keys).demo).toBe(true);
    expect(appConfig(parseConfig({ NODE_ENV: 'production' }), keys).demo).toBe(false);
    expect(appConfig(parseConfig({ NODE_ENV: 'production', OPENTIME_DEMO: '1' }), keys).demo).toBe(true);
    expect(appConfig(parseConfig({ OPENTIME_DEMO: '0' }), keys).demo).toBe(false);
    expect(appConfig(parseConfig({ NODE_ENV: 'production', OPENTIME_DEMO: '' }), keys).demo).toBe(false);
  });

  it('lets the demo page use only a write key generated for development', () => {
    expect(appConfig(parseConfig({}), keys).demoWriteKey).toBeUndefined();
    expect(appConfig(parseConfig({}), { ...keys, generated: ['admin', 'secret'] }).demoWriteKey).toBeUndefined();
    expect(appConfig(parseConfig({}), { ...keys, generated: ['write'] }).demoWriteKey).toBe('write-key-from-the-env-0123');
    expect(appConfig(parseConfig({ NODE_ENV: 'production', OPENTIME_DEMO: '1' }), { ...keys, generated: ['write'] }).demoWriteKey).toBeUndefined();
    expect(appConfig(parseConfig({ OPENTIME_DEMO: '0' }), { ...keys, generated: ['write'] }).demoWriteKey).toBeUndefined();
  });

  it('reads LOG_LEVEL (default info) and OPENTIME_SHUTDOWN_SECONDS (default 10)', () => {
    expect(parseConfig({})).toMatchObject({ LOG_LEVEL: 'info', OPENTIME_SHUTDOWN_SECONDS: 10 });
    expect(parseConfig({ LOG_LEVEL: 'warn', OPENTIME_SHUTDOWN_SECONDS: '25' })).toMatchObject({ LOG_LEVEL: 'warn', OPENTIME_SHUTDOWN_SECONDS: 25 });
    expect(problemsOf({ LOG_LEVEL: 'verbose', OPENTIME_SHUTDOWN_SECONDS: '-1' }).map((p) => p.path)).toEqual(['LOG_LEVEL', 'OPENTIME_SHUTDOWN_SECONDS']);
  });
});
