import type { DestinationType, TriggerDestination } from '../schema.ts';
import { braze } from './braze.ts';
import { customerio } from './customerio.ts';
import type { BuiltRequest, DestinationBuilder, DestinationSettings } from './destination.ts';
import { iterable } from './iterable.ts';
import { klaviyo } from './klaviyo.ts';
import { webhook } from './webhook.ts';
import type { TriggerPayload } from '../payload.ts';
import type { Episode } from '../episode.ts';

/** Every destination type, one line each; the compiler refuses a type without its builder. */
export const DESTINATIONS = { klaviyo, braze, customerio, iterable, webhook } satisfies {
  [T in DestinationType]: DestinationBuilder<Extract<TriggerDestination, { type: T }>>;
};

export function buildRequest(destination: TriggerDestination, payload: TriggerPayload, episode: Episode, settings: DestinationSettings, now: number): Promise<BuiltRequest> {
  const builder = DESTINATIONS[destination.type] as DestinationBuilder<TriggerDestination>;
  return builder(destination, payload, episode, settings, now);
}
