/** Small helpers shared by the store's API route handlers. */

/** A JSON error body: `{ error: { code, message, fields? } }`. */
export function jsonError(status: number, code: string, message: string, fields?: Record<string, string>): Response {
  return Response.json(
    { error: { code, message, ...(fields ? { fields } : {}) } },
    { status, headers: { 'cache-control': 'no-store' } },
  );
}

/**
 * The JSON body of a state-changing request, or a 415/400 response. Requiring `application/json`
 * keeps cross-site HTML forms (which cannot send it without a CORS preflight) from changing a cart.
 */
export async function readJsonBody(
  request: Request,
): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type))
    return { ok: false, response: jsonError(415, 'unsupported_media_type', 'send application/json') };
  try {
    return { ok: true, body: await request.json() };
  } catch {
    return { ok: false, response: jsonError(400, 'bad_json', 'the body is not JSON') };
  }
}
