import { normalizeBatch, normalizeEvent, type NormalizedBatch } from './normalize.ts';

/**
 * Events from Segment's Webhooks destination (and Customer.io's, which is
 * the same): one event per request, or a batch — a JSON array (Webhooks
 * (Actions) with batching on) or `{"batch": […]}`.
 *
 * These events have already been through Segment, whose `timestamp` is
 * corrected for the device's clock. opentime's own correction
 * (receivedAt − (sentAt − originalTimestamp)) assumes the event came
 * straight from the device and would move an event that Segment delivered
 * late to the time of delivery, so the sender's `timestamp` is taken as it
 * is.
 */
function senderTime(event: unknown): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return event;
  const record = event as Record<string, unknown>;
  if (typeof record.timestamp !== 'string') return event;
  const { sentAt: _sentAt, originalTimestamp: _original, ...rest } = record;
  return rest;
}

/** A batch's bad items are set aside (`rejected`) as on /v1/batch; a single bad event is a 400. */
export function webhookEvents(body: unknown, receivedAt: number): NormalizedBatch {
  if (Array.isArray(body)) return normalizeBatch({ batch: body.map(senderTime) }, receivedAt);
  if (typeof body === 'object' && body !== null && Array.isArray((body as { batch?: unknown }).batch)) {
    const { sentAt: _sentAt, ...envelope } = body as Record<string, unknown> & { batch: unknown[] };
    return normalizeBatch({ ...envelope, batch: envelope.batch.map(senderTime) }, receivedAt);
  }
  return { events: [normalizeEvent(senderTime(body), undefined, receivedAt)], rejected: [] };
}
