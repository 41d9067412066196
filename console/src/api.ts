// The console talks to the same /v1 API as every client. It signs in once
// with an API key, which the server exchanges for an HttpOnly session
// cookie; unsafe requests carry the CSRF token the server set beside it.

/** An RFC 9457 problem, as the API answers every error. */
export interface Problem {
  status: number;
  code: string;
  detail: string;
  field?: string;
}

export class ApiError extends Error {
  constructor(public problem: Problem) {
    super(problem.detail);
  }
}

function csrf(): string {
  const found = document.cookie.split("; ").find((c) => c.startsWith("weft_csrf="));
  return found ? decodeURIComponent(found.slice("weft_csrf=".length)) : "";
}

/** Calls the API; a problem answer becomes an `ApiError` carrying it. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-csrf-token"] = csrf();
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const value = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const problem: Problem = value && value.code ? value : { status: response.status, code: "error", detail: text };
    throw new ApiError(problem);
  }
  return value as T;
}

export interface Session {
  kind: "workspace" | "admin";
  workspace?: string;
}

export interface Entry {
  key: string;
  label: string;
  /** Triggers only: `instant` (from webhooks) or `polled`. */
  delivery?: "instant" | "polled";
}

export interface ConnectorSummary {
  id: string;
  name: string;
  version: string;
  /** The version of `weft:connector` the component was built against. */
  witVersion?: string;
  description: string;
  triggers: Entry[];
  actions: Entry[];
}

export interface DynamicField {
  field: string;
  help: string;
}

export interface Operation {
  key: string;
  label: string;
  help: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  sample: unknown;
  scopes: string[];
  dynamicOptions?: DynamicField[];
}

export interface Connection {
  id: string;
  name: string;
  connector: string;
  kind: "oauth2" | "token";
  baseUrl: string;
  facts: Record<string, unknown>;
  status: "active" | "reconnect-required";
  statusMessage?: string;
  expiresAt?: string;
  createdAt: string;
}

export interface Subscription {
  id: string;
  name: string;
  connector: string;
  trigger: string;
  connection: string;
  input: unknown;
  intervalSecs: number;
  start: string;
  destination: { type: string; url?: string; path?: string };
  state: "active" | "paused" | "error";
  stateReason?: string;
  seeded: boolean;
  lastSuccessAt?: string;
  lastError?: string;
  deliveryError?: string;
  deliveryFailingSince?: string;
  mapping?: string;
  createdAt: string;
}

export interface StoredEvent {
  seq: number;
  eventId: string;
  occurredAt?: string;
  data: unknown;
  createdAt: string;
}

export interface Delivery {
  event: StoredEvent;
  status: "pending" | "delivered" | "dead";
  attempts: number;
  lastError?: string;
  deliveredAt?: string;
}

export interface Choice {
  value: string;
  label: string;
}
