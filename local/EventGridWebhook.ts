import { InvocationContext, type HttpResponseInit } from '@azure/functions';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { errorResponse } from '../src/http/errorResponse';
import type { Logger } from '../src/ports/Logger';

/** Where the Functions runtime serves its Event Grid extension. */
export const EVENT_GRID_WEBHOOK_PATH = '/runtime/webhooks/eventgrid';
/** What the runtime calls the system key of the extension's webhook. */
export const EVENT_GRID_KEY_NAME = 'eventgrid_extension';

type EventGridHandler = (event: unknown, context: InvocationContext) => Promise<void>;

export interface WebhookRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** The body, read only once the caller is authorized (and only for a POST). */
  text(): Promise<string>;
}

const VALIDATION_EVENT = 'microsoft.eventgrid.subscriptionvalidationevent';
const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const typeOf = (e: Record<string, unknown>) =>
  typeof e.type === 'string' ? e.type : typeof e.eventType === 'string' ? e.eventType : null;

/**
 * The Functions runtime's Event Grid webhook, for the local host: the system key (`code=` or
 * `x-functions-key`), the Event Grid schema's validation handshake (`aeg-event-type:
 * SubscriptionValidation` answered with `validationResponse`), the CloudEvents 1.0 abuse
 * protection handshake (OPTIONS with `WebHook-Request-Origin`), and notifications, each event
 * of a batch one invocation of the function, as the runtime invokes it. 202 once every event
 * was taken in; a failed invocation answers 500, so Event Grid delivers the batch again.
 */
export class EventGridWebhook {
  private readonly key: Buffer;

  constructor(
    private readonly functions: ReadonlyMap<string, EventGridHandler>,
    key: string,
    private readonly logger: Logger,
  ) {
    this.key = Buffer.from(key);
  }

  async handle(req: WebhookRequest): Promise<HttpResponseInit> {
    const name = req.url.searchParams.get('functionName');
    const handler = name === null ? undefined : this.functions.get(name);
    if (!this.authorized(req))
      return errorResponse(
        'IotHubUnauthorizedAccess',
        `Send the ${EVENT_GRID_KEY_NAME} system key as code= or x-functions-key`,
      );
    if (!handler || name === null)
      return errorResponse(
        'NotFound',
        `No Event Grid function '${String(name)}': name it with functionName=`,
      );
    if (req.method === 'OPTIONS') {
      // CloudEvents 1.0 abuse protection: allow the origin that asks.
      const origin = req.headers.get('webhook-request-origin');
      if (!origin) return errorResponse('BadRequest', 'OPTIONS needs WebHook-Request-Origin');
      return { status: 200, headers: { 'webhook-allowed-origin': origin, allow: 'POST' } };
    }
    if (req.method !== 'POST')
      return errorResponse('MethodNotAllowed', `${req.method} is not supported on the webhook`);
    const kind = req.headers.get('aeg-event-type')?.toLowerCase() ?? null;
    if (kind === 'unsubscribe') return { status: 202 };
    let body: unknown;
    try {
      body = JSON.parse(await req.text());
    } catch {
      return errorResponse('BadRequest', 'The body is not JSON: Event Grid posts a JSON array');
    }
    const events = Array.isArray(body) ? (body as unknown[]) : isObject(body) ? [body] : null;
    const bad = events === null ? -1 : events.findIndex((e) => !isObject(e) || !typeOf(e));
    if (events === null || bad >= 0)
      return errorResponse(
        'BadRequest',
        events === null
          ? 'The body must be an event or an array of events'
          : `Event ${bad} is not an Event Grid event (an object with eventType or type)`,
      );
    const envelopes = events as Record<string, unknown>[];
    if (kind === 'subscriptionvalidation') return validation(envelopes);
    if (kind !== null && kind !== 'notification')
      return errorResponse('BadRequest', `Unknown aeg-event-type '${kind.slice(0, 40)}'`);
    // CloudEvents deliveries need not carry aeg-event-type; Event Grid's own schema does.
    if (kind === null && !envelopes.every((e) => typeof e.specversion === 'string'))
      return errorResponse(
        'BadRequest',
        'Event Grid schema deliveries carry aeg-event-type: Notification or SubscriptionValidation',
      );
    for (const event of envelopes) {
      const context = new InvocationContext({ functionName: name, invocationId: randomUUID() });
      try {
        await handler(event, context);
      } catch (error) {
        this.logger.error(`Event Grid function '${name}' failed; Event Grid will retry`, error);
        return errorResponse('ServerError', 'The function failed: deliver the events again');
      }
    }
    return { status: 202 };
  }

  private authorized(req: WebhookRequest): boolean {
    const given = req.url.searchParams.get('code') ?? req.headers.get('x-functions-key');
    if (given === null) return false;
    const candidate = Buffer.from(given);
    return candidate.length === this.key.length && timingSafeEqual(candidate, this.key);
  }
}

/** The Event Grid schema's handshake: echo the validation code of the validation event. */
function validation(events: Record<string, unknown>[]): HttpResponseInit {
  const event = events.find((e) => typeOf(e)?.toLowerCase() === VALIDATION_EVENT);
  const code = isObject(event?.data) ? event.data.validationCode : undefined;
  if (typeof code !== 'string' || code === '')
    return errorResponse(
      'BadRequest',
      'A SubscriptionValidation delivery holds a SubscriptionValidationEvent with data.validationCode',
    );
  return { status: 200, jsonBody: { validationResponse: code } };
}

/** The webhook's key: EVENTGRID_SYSTEM_KEY, else one derived from the owner's, stable across restarts. */
export function eventGridSystemKey(configured: string | undefined, ownerKey: string): string {
  return (
    configured ??
    createHmac('sha256', ownerKey).update(EVENT_GRID_KEY_NAME).digest('base64url').slice(0, 43)
  );
}
