/**
 * The calls a test makes against opentime's HTTP API, over whatever answers
 * requests: the Node app in process, or the Worker inside workerd. Portable
 * (no `node:*` imports), so both runtimes' test apps share it.
 */
export interface ApiCalls<P> {
  /** POST a Segment payload to /v1/<type> with the write key as Basic username. */
  send(type: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  open(blockId: string, query?: Record<string, string>, init?: RequestInit): Promise<{ response: Response; pixels: P; bytes: Uint8Array }>;
  click(blockId: string, slot: number | string, query?: Record<string, string>, init?: RequestInit): Promise<Response>;
}

export function apiCalls<P>(options: {
  request(path: string, init?: RequestInit): Promise<Response>;
  decode(bytes: Uint8Array): Promise<P>;
  writeKey: string;
  adminKey: string;
}): ApiCalls<P> {
  const { request } = options;
  const basic = `Basic ${btoa(`${options.writeKey}:`)}`;
  const qs = (query: Record<string, string>) => new URLSearchParams(query).toString();
  const json = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body));
  return {
    send: (type, body, headers = {}) =>
      request(`/v1/${type}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic, ...headers }, body: json(body) }),
    admin: (method, path, body) =>
      request(path, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.adminKey}` },
        ...(body === undefined ? {} : { body: json(body) }),
      }),
    async open(blockId, query = {}, init) {
      const response = await request(`/i/${blockId}.png?${qs(query)}`, init);
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { response, bytes, pixels: await options.decode(bytes) };
    },
    click: (blockId, slot, query = {}, init) => request(`/c/${blockId}/${slot}?${qs(query)}`, { redirect: 'manual', ...init }),
  };
}
