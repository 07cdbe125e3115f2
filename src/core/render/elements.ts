/**
 * The element tree that satori lays out: React-shaped plain objects, built
 * without React or JSX so the core has no UI framework.
 */
export type Style = Record<string, string | number | undefined>;

export interface Element {
  type: string;
  key?: string | null;
  props: {
    style?: Style;
    children?: Child | Child[];
    [attr: string]: unknown;
  };
}

export type Child = Element | string | null | undefined | false;

export function h(type: string, style: Style, ...children: Child[]): Element {
  const kept = children.filter((c) => c !== null && c !== undefined && c !== false);
  return { type, key: null, props: { style, children: kept.length === 1 ? kept[0] : kept } };
}

export function img(src: string, width: number, height: number, style: Style = {}): Element {
  return { type: 'img', key: null, props: { src, width, height, style: { width, height, ...style } } };
}
