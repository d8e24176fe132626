import type { Response } from 'express';

/**
 * Writes a JSON answer: what express's `res.status(s).json(body)` does for an API answer, without the
 * ETag it derives from every body (a SHA-1 over it, for conditional GETs: API answers are per caller and
 * change with every run, no client revalidates them) and its content-type negotiation. About 4 % of an
 * authorize call's CPU (bench profile). `undefined` is an empty body, as with res.json; HEAD gets the
 * headers only.
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body) ?? '';
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
