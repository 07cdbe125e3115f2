import type { DestinationBuilder } from './destination.ts';
import { joinUrl } from './destination.ts';

/**
 * Iterable's `POST /api/workflows/triggerWorkflow` (the workflow must be
 * active): the subscriber as `userId`, the payload as `dataFields`, the key
 * in the `Api-Key` header. Iterable has no idempotency field here; the
 * episode id is in `dataFields.episode`.
 */
export const iterable: DestinationBuilder<{ type: 'iterable'; workflow_id: number }> = async (destination, payload, _episode, settings) => {
  if (settings.iterable.apiKey === undefined) return { missing: 'OPENTIME_ITERABLE_API_KEY' };
  return {
    request: {
      method: 'POST',
      url: joinUrl(settings.iterable.url, '/api/workflows/triggerWorkflow'),
      headers: { 'api-key': settings.iterable.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ workflowId: destination.workflow_id, userId: payload.subscriber_id, dataFields: payload }),
    },
  };
};
