import type { BlockConfig } from '../blocks/schema.ts';
import { effectivePrice, type Product } from '../catalog/product.ts';
import type { Signer } from '../audience/signing.ts';
import { kindOf } from '../kinds/registry.ts';
import type { Profile } from '../profiles/profile.ts';
import type { Episode, EpisodeFacts } from './episode.ts';
import { messageIdOf } from './message-id.ts';

/**
 * What an ESP receives for one episode, the same for every destination: who
 * (the subscriber's id as the shop's events named it), why (the episode's
 * facts: the cart as it is now, the product, the old and new price) and
 * ready URLs of the trigger's blocks, so the email template needs no logic:
 * it puts `blocks.<id>.image_url` in an <img> and `click_url` around it.
 */
export interface TriggerPayload {
  trigger: string;
  episode: string;
  subscriber_id: string;
  started_at: string;
  fired_at: string;
  /** The `m=` of the block URLs: clicks and opens of this email are counted under it. */
  message_id: string;
  facts: EpisodeFacts & { cart: CartItem[]; cart_count: number; cart_value: number; product?: ProductFacts };
  blocks: Record<string, BlockUrls>;
}

export interface ProductFacts {
  product_id: string;
  title: string;
  price: number;
  currency: string;
  url: string;
  image_url?: string;
  in_stock: boolean;
}
export interface CartItem extends ProductFacts {
  quantity: number;
}
export interface BlockUrls {
  image_url: string;
  /** The link of the block's first slot; `click_urls` has one per slot. */
  click_url: string;
  click_urls: string[];
  width: number;
  height: number;
}

/**
 * The subscriber id of a subject key, or undefined for one an ESP cannot be
 * given: an anonymous visitor, or an email address (kept only as a keyed
 * hash, `u:~…`, which no ESP knows).
 */
export function subscriberIdOf(subjectKey: string): string | undefined {
  if (!subjectKey.startsWith('u:')) return undefined;
  const id = subjectKey.slice(2);
  if (id.startsWith('~~')) return id.slice(1);
  return id.startsWith('~') ? undefined : id;
}

/** The message id of an episode's email: short, stable, and marked as a trigger's so reports can tell. */
export { messageIdOf } from './message-id.ts';

function productFacts(product: Product): ProductFacts {
  const facts: ProductFacts = {
    product_id: product.id,
    title: product.title,
    price: effectivePrice(product).price,
    currency: product.currency,
    url: product.url,
    in_stock: product.in_stock,
  };
  if (product.image_url !== undefined) facts.image_url = product.image_url;
  return facts;
}

export interface PayloadInput {
  episode: Episode;
  subscriberId: string;
  profile: Profile | undefined;
  products: ReadonlyMap<string, Product>;
  blocks: readonly BlockConfig[];
  /** The public origin the block URLs start with. */
  origin: string;
  signer: Signer;
  requireSignature: boolean;
  now: number;
}

export async function buildPayload(input: PayloadInput): Promise<TriggerPayload> {
  const { episode, profile, products } = input;
  const cart: CartItem[] = [];
  for (const line of profile?.cart ?? []) {
    const product = products.get(line.id);
    if (product) cart.push({ ...productFacts(product), quantity: line.quantity });
  }
  const cartValue = Math.round(cart.reduce((sum, item) => sum + item.price * item.quantity, 0) * 100) / 100;
  const facts: TriggerPayload['facts'] = { ...episode.facts, cart, cart_count: cart.reduce((n, i) => n + i.quantity, 0), cart_value: cartValue };
  const product = episode.facts.product_id === undefined ? undefined : products.get(episode.facts.product_id);
  if (product) facts.product = productFacts(product);
  const messageId = messageIdOf(episode);
  const blocks: Record<string, BlockUrls> = {};
  for (const block of input.blocks) blocks[block.id] = await blockUrls(block, input, messageId);
  return {
    trigger: episode.triggerId,
    episode: episode.id,
    subscriber_id: input.subscriberId,
    started_at: new Date(episode.startedAt).toISOString(),
    fired_at: new Date(input.now).toISOString(),
    message_id: messageId,
    facts,
    blocks,
  };
}

/** The block's image and click URLs for this subscriber and email, signed when the block or the instance requires it. */
async function blockUrls(block: BlockConfig, input: PayloadInput, messageId: string): Promise<BlockUrls> {
  const query = `u=${encodeURIComponent(input.subscriberId)}&m=${encodeURIComponent(messageId)}`;
  const sign = block.require_signature ?? input.requireSignature;
  const url = async (path: string) => `${input.origin}${sign ? await input.signer.signUrl(path) : path}`;
  const slots = 'slots' in block ? block.slots : 1;
  const clickUrls = await Promise.all(Array.from({ length: slots }, (_, slot) => url(`/c/${block.id}/${slot}?${query}`)));
  return {
    image_url: await url(`/i/${block.id}.${kindOf(block).formats[0]}?${query}`),
    click_url: clickUrls[0] as string,
    click_urls: clickUrls,
    width: block.size.width,
    height: block.size.height,
  };
}
