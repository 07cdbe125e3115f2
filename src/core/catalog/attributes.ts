import { z } from 'zod';

/**
 * A product's own fields beyond the ones opentime reads (`description`,
 * `rating`, `material`, a feed's custom columns): kept as `attributes`, for
 * templates to show (`{{ product.attributes.rating }}`). Sent either at the
 * top level of the product or inside `"attributes": {…}`; both end up in
 * `attributes`.
 *
 * Bounded, because a shown product is copied into every open record and
 * render key: at most ATTRIBUTES_MAX_COUNT names, scalars or short lists of
 * scalars, ATTRIBUTES_MAX_BYTES of JSON in all.
 */
export const ATTRIBUTES_MAX_COUNT = 30;
export const ATTRIBUTES_MAX_BYTES = 2048;
export const ATTRIBUTE_TEXT_MAX_CHARS = 1000;
export const ATTRIBUTE_LIST_MAX_ITEMS = 20;
/** Names a template can write after a dot (`product.attributes.fit_note`), or in brackets when they hold a `-`. */
export const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

const scalar = z.union([z.string().max(ATTRIBUTE_TEXT_MAX_CHARS), z.number().finite(), z.boolean()]);
const attributeValue = z.union([z.string().max(ATTRIBUTE_TEXT_MAX_CHARS), z.number().finite(), z.boolean(), z.array(scalar).max(ATTRIBUTE_LIST_MAX_ITEMS)]);
const attributeName = z.string().regex(ATTRIBUTE_NAME_PATTERN, 'expected letters, digits, _ and - (at most 64)');

export type AttributeValue = z.output<typeof attributeValue>;
export type Attributes = Record<string, AttributeValue>;

export const attributesSchema = Object.assign(z.record(attributeName, attributeValue), { valueType: attributeValue });

/**
 * Moves the fields not in `known` into `attributes` (next to any sent
 * there), and reports names and sizes beyond the limits by path.
 */
export function collectAttributes<T extends { attributes?: Attributes | undefined }>(product: T & Record<string, unknown>, known: readonly string[], ctx: z.RefinementCtx): T {
  const out: Record<string, unknown> = {};
  const attributes: Attributes = { ...product.attributes };
  for (const [name, value] of Object.entries(product)) {
    if (known.includes(name)) {
      if (name !== 'attributes') out[name] = value;
      continue;
    }
    if (!ATTRIBUTE_NAME_PATTERN.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'an extra field name takes letters, digits, _ and - (at most 64)' });
      continue;
    }
    attributes[name] = value as AttributeValue;
  }
  const count = Object.keys(attributes).length;
  if (count > ATTRIBUTES_MAX_COUNT) {
    ctx.addIssue({
      code: 'custom',
      path: ['attributes'],
      message: `has ${count} attributes (fields opentime does not read); at most ${ATTRIBUTES_MAX_COUNT} are kept per product`,
    });
  } else if (count > 0) {
    const bytes = new TextEncoder().encode(JSON.stringify(attributes)).length;
    if (bytes > ATTRIBUTES_MAX_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['attributes'], message: `attributes take ${bytes} bytes of JSON; at most ${ATTRIBUTES_MAX_BYTES} are kept per product` });
    }
    out.attributes = attributes;
  }
  return out as T;
}
