import type { Assets } from '../../core/ports.ts';

/**
 * Files under templates/, deployed as Workers static assets and read through
 * their binding (never served to the public: the Worker runs first for every
 * request, see wrangler.toml). New templates and fallback images are picked
 * up at the next deploy without a code change.
 */
export interface AssetsBinding {
  fetch(input: string): Promise<Response>;
}

/** Any origin works for an assets binding; only the path is looked up. */
const ASSETS_ORIGIN = 'https://assets.opentime.invalid/';

export function bindingAssets(binding: AssetsBinding): Assets {
  return {
    async read(path) {
      // Paths are relative to templates/; one that climbs out (`..`) or is absolute is not found.
      if (path.startsWith('/') || path.split(/[\\/]/).some((part) => part === '..' || part === '')) return undefined;
      const response = await binding.fetch(ASSETS_ORIGIN + path.split('/').map(encodeURIComponent).join('/'));
      if (response.status !== 200) {
        await response.body?.cancel();
        return undefined;
      }
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}
