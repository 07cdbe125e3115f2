import type { Child, Element, Style } from './elements.ts';

/**
 * Splitting a block into a static layer and tiles. A template marks each
 * product card `data-tile`: what such an element draws depends only on its
 * own subtree (the product, its sizes) and the text styles it inherits, so
 * it can be rasterized once and reused by every decision that shows that
 * product; the layer is the template with each tile replaced by an empty box
 * of the same size, shared by every decision with the same number of cards.
 *
 * A tree can be split only when that is exact, otherwise the caller draws it
 * whole: each tile has a width and height in pixels (so its box does not
 * depend on its content), no tile is inside another, and no ancestor of a
 * tile changes how its content is drawn (opacity, transforms, filters,
 * clipping, masks), which a tile drawn alone would not reproduce. A tile
 * draws nothing outside its box, and is placed over whatever the layer has
 * there: nothing else in the template may be drawn over a tile (an
 * absolutely positioned badge on a card belongs inside the card).
 */
export interface Tile {
  /** The tile's element, without the properties that place it in its parent. */
  element: Element;
  width: number;
  height: number;
  /** The inheritable text styles of each ancestor, outermost first. */
  inherited: Style[];
}

export interface SplitTree {
  /** The tree with every tile replaced by an empty box keyed `tile:<n>`. */
  layer: Element;
  tiles: Tile[];
}

/** Inherited properties (satori's list, with the shorthands that set them). */
const INHERITED = new Set([
  'color',
  'font',
  'fontFamily',
  'fontSize',
  'fontStyle',
  'fontWeight',
  'fontFeatureSettings',
  'fontKerning',
  'fontVariantNumeric',
  'fontVariantLigatures',
  'letterSpacing',
  'wordSpacing',
  'lineHeight',
  'textAlign',
  'textIndent',
  'textTransform',
  'textShadow',
  'textDecoration',
  'textDecorationLine',
  'textDecorationStyle',
  'textDecorationColor',
  'textDecorationThickness',
  'textUnderlineOffset',
  'WebkitTextStroke',
  'WebkitTextStrokeWidth',
  'WebkitTextStrokeColor',
  'WebkitTextFillColor',
  'whiteSpace',
  'textWrap',
  'wordBreak',
  'overflowWrap',
  'tabSize',
  'visibility',
  'direction',
]);

/** Ancestor styles that change how descendants are drawn (groups, clips): a tile drawn alone would differ. */
function altersDescendants(style: Style): boolean {
  for (const [name, value] of Object.entries(style)) {
    if (value === undefined) continue;
    if (name === 'overflow' || name === 'overflowX' || name === 'overflowY') {
      if (value !== 'visible') return true;
    } else if (name === 'opacity') {
      if (Number(value) !== 1) return true;
    } else if (/^(transform|filter|clipPath|mask|maskImage|backgroundClip|mixBlendMode)$/.test(name)) return true;
  }
  return false;
}

/** What places an element in its parent: kept on the placeholder, dropped from the tile drawn alone. */
const PLACEMENT = /^(margin(Top|Right|Bottom|Left)?|flex|flexGrow|flexShrink|flexBasis|alignSelf|order|position|top|right|bottom|left|zIndex)$/;
/** What sizes the box: kept on the placeholder too. */
const SIZE = /^(width|height|minWidth|minHeight|maxWidth|maxHeight|boxSizing)$/;

function pixelsOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?px$/.test(value.trim())) return Number.parseFloat(value);
  return undefined;
}

function inheritedOf(style: Style): Style {
  const out: Style = {};
  for (const [name, value] of Object.entries(style)) if (INHERITED.has(name) && value !== undefined) out[name] = value;
  return out;
}

function childrenOf(element: Element): Child[] {
  const children = element.props.children;
  return Array.isArray(children) ? children : children === undefined ? [] : [children];
}

function hasTile(node: Child): boolean {
  if (!node || typeof node !== 'object') return false;
  return node.props.tile === true || childrenOf(node).some(hasTile);
}

/** The tree split into a layer and tiles, or undefined when it has no tiles or cannot be split exactly. */
export function splitTiles(root: Element): SplitTree | undefined {
  const tiles: Tile[] = [];
  let exact = true;

  function visit(element: Element, ancestors: Style[]): Element {
    const style = element.props.style ?? {};
    if (element.props.tile === true) {
      const width = pixelsOf(style.width);
      const height = pixelsOf(style.height);
      if (width === undefined || height === undefined || width <= 0 || height <= 0 || childrenOf(element).some(hasTile)) exact = false;
      const own: Style = {};
      const box: Style = { display: 'flex' };
      for (const [name, value] of Object.entries(style)) {
        if (PLACEMENT.test(name)) box[name] = value;
        else {
          own[name] = value;
          if (SIZE.test(name)) box[name] = value;
        }
      }
      const { tile: _tile, ...props } = element.props;
      tiles.push({ element: { ...element, props: { ...props, style: own } }, width: width ?? 0, height: height ?? 0, inherited: ancestors });
      return { type: 'div', key: `tile:${tiles.length - 1}`, props: { style: box } };
    }
    const children = childrenOf(element);
    if (!children.some(hasTile)) return element;
    if (altersDescendants(style)) exact = false;
    const inner = [...ancestors, inheritedOf(style)];
    const next = children.map((child) => (child && typeof child === 'object' ? visit(child, inner) : child));
    return { ...element, props: { ...element.props, children: Array.isArray(element.props.children) ? next : next[0] } };
  }

  const layer = visit(root, []);
  return tiles.length > 0 && exact ? { layer, tiles } : undefined;
}

/**
 * A tile as a tree of its own: its ancestors' inherited styles as wrappers
 * of its size (so `em` sizes and colours resolve as they do in place),
 * around the tile.
 */
export function tileTree(tile: Tile): Element {
  let node: Element = tile.element;
  for (let i = tile.inherited.length - 1; i >= 0; i--) {
    node = { type: 'div', key: null, props: { style: { display: 'flex', width: tile.width, height: tile.height, ...tile.inherited[i] }, children: node } };
  }
  return node;
}
