import type { DestinationBuilder } from './destination.ts';
import { joinUrl } from './destination.ts';

/**
 * Klaviyo's Events API (`POST /api/events`, JSON:API): the trigger's metric
 * for the profile with the subscriber's `external_id`, the payload as the
 * event's properties, the episode id as `unique_id` (Klaviyo drops a second
 * event with the same one), the cart's value as `value`. A flow triggered by
 * the metric sends the email.
 */
export const klaviyo: DestinationBuilder<{ type: 'klaviyo'; metric: string }> = async (destination, payload, episode, settings, now) => {
  if (settings.klaviyo.apiKey === undefined) return { missing: 'OPENTIME_KLAVIYO_API_KEY' };
  const attributes: Record<string, unknown> = {
    properties: payload,
    metric: { data: { type: 'metric', attributes: { name: destination.metric } } },
    profile: { data: { type: 'profile', attributes: { external_id: payload.subscriber_id } } },
    time: new Date(now).toISOString(),
    unique_id: episode.id,
  };
  if (payload.facts.cart_value > 0) attributes.value = payload.facts.cart_value;
  return {
    request: {
      method: 'POST',
      url: joinUrl(settings.klaviyo.url, '/api/events'),
      headers: {
        authorization: `Klaviyo-API-Key ${settings.klaviyo.apiKey}`,
        revision: settings.klaviyo.revision,
        'content-type': 'application/vnd.api+json',
        accept: 'application/vnd.api+json',
      },
      body: JSON.stringify({ data: { type: 'event', attributes } }),
    },
  };
};
