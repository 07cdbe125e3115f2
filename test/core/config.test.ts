import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.ts';

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
