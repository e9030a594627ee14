/**
 * PowerstripProtocolVersion 1, as Powerstrip's README documents it (not as its code did): the messages the
 * proxy POSTs to adapters and the replies it accepts. Pure: building hook requests and checking replies.
 *
 *   pre-hook:  {PowerstripProtocolVersion: 1, Type: "pre-hook", ClientRequest: {Method, Request, Body}}
 *          ->  {PowerstripProtocolVersion: 1, ModifiedClientRequest: {Method, Request, Body}}
 *   post-hook: {PowerstripProtocolVersion: 1, Type: "post-hook", ClientRequest, ServerResponse: {ContentType, Body, Code}}
 *          ->  {PowerstripProtocolVersion: 1, ModifiedServerResponse: {ContentType, Body, Code}}
 *
 * `Request` is the path with its query string (`/v1.41/containers/create?name=x`); `Body` is the body as a
 * string (JSON text for JSON bodies) or null when there is none or it is not JSON.
 */

import { FieldError } from '../util/index.js';

export const PROTOCOL_VERSION = 1;

export interface ClientRequest {
  Method: string;
  /** Path and query, as the client sent it (`/v1.41/containers/create?name=web`). */
  Request: string;
  Body: string | null;
}

export interface ServerResponse {
  ContentType: string;
  Body: string | null;
  Code: number;
}

export interface PreHookRequest {
  PowerstripProtocolVersion: 1;
  Type: 'pre-hook';
  ClientRequest: ClientRequest;
}

export interface PostHookRequest {
  PowerstripProtocolVersion: 1;
  Type: 'post-hook';
  ClientRequest: ClientRequest;
  ServerResponse: ServerResponse;
}

export type HookRequest = PreHookRequest | PostHookRequest;

export interface PreHookReply {
  PowerstripProtocolVersion: 1;
  ModifiedClientRequest: ClientRequest;
}

export interface PostHookReply {
  PowerstripProtocolVersion: 1;
  ModifiedServerResponse: ServerResponse;
}

/** Why a hook message is not valid PowerstripProtocolVersion 1: `field` names the JSON key at fault. */
export class ProtocolError extends FieldError {}

const HTTP_METHOD = /^[A-Z]{1,16}$/;

export function preHookRequest(req: ClientRequest): PreHookRequest {
  return { PowerstripProtocolVersion: PROTOCOL_VERSION, Type: 'pre-hook', ClientRequest: req };
}

export function postHookRequest(req: ClientRequest, res: ServerResponse): PostHookRequest {
  return {
    PowerstripProtocolVersion: PROTOCOL_VERSION,
    Type: 'post-hook',
    ClientRequest: req,
    ServerResponse: res,
  };
}

function object(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ProtocolError(field, `must be a JSON object, got ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string ${JSON.stringify(v.slice(0, 40))}` : typeof v;
}

function version(o: Record<string, unknown>): void {
  if (o.PowerstripProtocolVersion !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      'PowerstripProtocolVersion',
      `must be ${PROTOCOL_VERSION}, got ${JSON.stringify(o.PowerstripProtocolVersion) ?? 'nothing'}`,
    );
  }
}

function body(v: unknown, field: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new ProtocolError(field, `must be a string or null, got ${describe(v)}`);
  return v;
}

export function parseClientRequest(v: unknown, field = 'ClientRequest'): ClientRequest {
  const o = object(v, field);
  if (typeof o.Method !== 'string' || !HTTP_METHOD.test(o.Method)) {
    throw new ProtocolError(
      `${field}.Method`,
      `must be an HTTP method such as "POST", got ${describe(o.Method)}`,
    );
  }
  if (typeof o.Request !== 'string' || !o.Request.startsWith('/') || /[\s]/.test(o.Request)) {
    throw new ProtocolError(
      `${field}.Request`,
      `must be a path starting with "/" (with its query), got ${describe(o.Request)}`,
    );
  }
  return { Method: o.Method, Request: o.Request, Body: body(o.Body, `${field}.Body`) };
}

export function parseServerResponse(v: unknown, field = 'ServerResponse'): ServerResponse {
  const o = object(v, field);
  if (typeof o.Code !== 'number' || !Number.isInteger(o.Code) || o.Code < 100 || o.Code > 599) {
    throw new ProtocolError(`${field}.Code`, `must be an HTTP status 100-599, got ${describe(o.Code)}`);
  }
  if (typeof o.ContentType !== 'string') {
    throw new ProtocolError(`${field}.ContentType`, `must be a string, got ${describe(o.ContentType)}`);
  }
  return { Code: o.Code, ContentType: o.ContentType, Body: body(o.Body, `${field}.Body`) };
}

/** An adapter's reply to a pre-hook (already JSON-parsed). Throws ProtocolError naming the key. */
export function parsePreHookReply(v: unknown): PreHookReply {
  const o = object(v, 'reply');
  version(o);
  return {
    PowerstripProtocolVersion: PROTOCOL_VERSION,
    ModifiedClientRequest: parseClientRequest(o.ModifiedClientRequest, 'ModifiedClientRequest'),
  };
}

/** An adapter's reply to a post-hook (already JSON-parsed). Throws ProtocolError naming the key. */
export function parsePostHookReply(v: unknown): PostHookReply {
  const o = object(v, 'reply');
  version(o);
  return {
    PowerstripProtocolVersion: PROTOCOL_VERSION,
    ModifiedServerResponse: parseServerResponse(o.ModifiedServerResponse, 'ModifiedServerResponse'),
  };
}

/** A request to an adapter (what the SDK's server receives). Throws ProtocolError naming the key. */
export function parseHookRequest(v: unknown): HookRequest {
  const o = object(v, 'request');
  version(o);
  const ClientRequest = parseClientRequest(o.ClientRequest);
  if (o.Type === 'pre-hook') return preHookRequest(ClientRequest);
  if (o.Type === 'post-hook') return postHookRequest(ClientRequest, parseServerResponse(o.ServerResponse));
  throw new ProtocolError('Type', `must be "pre-hook" or "post-hook", got ${describe(o.Type)}`);
}

/**
 * Whether a Content-Type is JSON: `application/json` or any `+json` type, parameters (charset) ignored.
 * Powerstrip compared the whole header with "application/json", so `; charset=utf-8` hid the body.
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}
