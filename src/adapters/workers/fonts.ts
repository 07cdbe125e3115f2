import type { FontSpec } from '../../core/ports.ts';
import interBold from '../../../fonts/Inter-Bold.ttf';
import interRegular from '../../../fonts/Inter-Regular.ttf';
import interSemiBold from '../../../fonts/Inter-SemiBold.ttf';

/**
 * The fonts templates may name, bundled into the Worker as Data modules
 * (wrangler.toml's rule for .ttf): no fetch at render time, nothing to read
 * from a disk. The same files and weights as on Node (src/adapters/node/files.ts).
 */
export function bundledFonts(): FontSpec[] {
  return [
    { name: 'Inter', data: interRegular, weight: 400, style: 'normal' },
    { name: 'Inter', data: interSemiBold, weight: 600, style: 'normal' },
    { name: 'Inter', data: interBold, weight: 700, style: 'normal' },
  ];
}
