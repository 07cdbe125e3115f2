import { SDK_BROWSER } from './browser.ts';
import { SDK_CLIENT, SDK_VERSION } from './client.ts';
import { fnv1a } from './compact.ts';

/**
 * The script served at `GET /sdk.js`: the core and its browser half in one
 * IIFE, no dependencies, built once per process from string modules, so
 * the same bytes come out of Node and Workers.
 */
export const SDK_SCRIPT = `/*! opentime.js ${SDK_VERSION} | MIT */
(function (w, d) {
'use strict';
${SDK_CLIENT}
${SDK_BROWSER}
})(window, document);
`;

export const SDK_ETAG = `"ot-${SDK_VERSION}-${fnv1a(SDK_SCRIPT)}"`;

/**
 * The copy-paste tag. The inline part queues calls made before the script
 * has loaded (it loads async, so it never delays the shop's page).
 */
export function sdkTag(options: { src: string; key: string; autocapture?: string; cartSelector?: string; api?: string }): string {
  const attribute = (name: string, value: string | undefined) => (value ? ` ${name}="${value.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"` : '');
  const capture = attribute('data-autocapture', options.autocapture) + attribute('data-cart-selector', options.cartSelector) + attribute('data-api', options.api);
  return `<script>
  !function(w){var o=w.opentime=w.opentime||[];if(!o.loaded&&!o.track){["track","identify","page","reset","consent"].forEach(function(m){o[m]=function(){o.push([m].concat([].slice.call(arguments)))}})}}(window);
  opentime.page();
</script>
<script async src="${options.src}" data-key="${options.key}"${capture}></script>`;
}
