import type { DestinationBuilder } from './destination.ts';
import { joinUrl } from './destination.ts';

/**
 * Braze's API-triggered delivery: `POST /campaigns/trigger/send` with
 * `trigger_properties`, or `/canvas/trigger/send` with
 * `canvas_entry_properties`, one recipient by `external_user_id`. Braze has
 * no idempotency field on these endpoints: the episode id travels in the
 * properties (`episode`) for a Canvas to filter on, and opentime's own claim
 * and send records keep a second send from leaving this side.
 */
export const braze: DestinationBuilder<{ type: 'braze'; campaign_id?: string | undefined; canvas_id?: string | undefined }> = async (destination, payload, _episode, settings) => {
  if (settings.braze.apiKey === undefined) return { missing: 'OPENTIME_BRAZE_API_KEY' };
  const properties = payload as unknown as Record<string, unknown>;
  const body =
    destination.canvas_id !== undefined
      ? { canvas_id: destination.canvas_id, recipients: [{ external_user_id: payload.subscriber_id, canvas_entry_properties: properties }] }
      : { campaign_id: destination.campaign_id, trigger_properties: {}, recipients: [{ external_user_id: payload.subscriber_id, trigger_properties: properties }] };
  return {
    request: {
      method: 'POST',
      url: joinUrl(settings.braze.url, destination.canvas_id !== undefined ? '/canvas/trigger/send' : '/campaigns/trigger/send'),
      headers: { authorization: `Bearer ${settings.braze.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
  };
};
