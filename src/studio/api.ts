/**
 * The Studio's one way to the server: the documented HTTP API, with the
 * session cookie (sent by the browser, never readable here) and, on
 * writes, the CSRF token the sign-in answered with.
 */
export interface Problem {
  path: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: Problem[];
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, problems: Problem[], retryAfter?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = problems;
    this.retryAfter = retryAfter;
  }
}

export interface SessionInfo {
  role: 'admin' | 'viewer';
  expires_at: string;
  csrf: string;
}

let csrf = '';
let onSignedOut: () => void = () => undefined;

export function useSession(session: SessionInfo | undefined, signedOut: () => void): void {
  csrf = session?.csrf ?? '';
  onSignedOut = signedOut;
}

async function failure(response: Response): Promise<ApiError> {
  let body: { error?: { code?: string; message?: string; details?: unknown } } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON: the status says enough
  }
  const details = Array.isArray(body.error?.details) ? (body.error?.details as Problem[]) : [];
  const retry = Number(response.headers.get('retry-after'));
  return new ApiError(
    response.status,
    body.error?.code ?? `HTTP_${response.status}`,
    body.error?.message ?? response.statusText,
    details,
    Number.isFinite(retry) ? retry : undefined,
  );
}

export async function request(method: string, path: string, body?: unknown, raw = false): Promise<Response> {
  const headers: Record<string, string> = {};
  if (method !== 'GET' && method !== 'HEAD') headers['x-opentime-csrf'] = csrf;
  let payload: BodyInit | undefined;
  if (typeof body === 'string') {
    payload = body;
    headers['content-type'] = raw ? 'text/html; charset=utf-8' : 'application/json';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(path, { method, headers, body: payload ?? null, credentials: 'same-origin' });
  if (!response.ok) {
    const error = await failure(response);
    if (response.status === 401 && path !== '/v1/session') onSignedOut();
    throw error;
  }
  return response;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await (await request(method, path, body)).json()) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);

/** Query strings from a plain object, leaving out empty values. */
export function query(values: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== '') q.set(name, String(value));
  const text = q.toString();
  return text ? `?${text}` : '';
}

export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
