import { jsonError, readJsonBody } from '../../../src/server/http';
import { clearSession, setSessionCookie } from '../../../src/server/shopper';
import { newSecretId, shopState } from '../../../src/server/state';
import { checkCredentials } from '../../../src/server/users';

/** Signs a demo shopper in: `{userId, password}` → session cookie and `{ user }`; 401 otherwise. */
export async function POST(request: Request): Promise<Response> {
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const { userId, password } = (read.body ?? {}) as Record<string, unknown>;
  const user = checkCredentials(userId, password);
  if (user === undefined) return jsonError(401, 'bad_credentials', 'Unknown demo shopper or wrong password.');
  await clearSession();
  const sessionId = newSecretId();
  shopState().sessions.set(sessionId, user.id);
  await setSessionCookie(sessionId);
  return Response.json({ user: { id: user.id, name: user.name } }, { headers: { 'cache-control': 'no-store' } });
}

/** Signs out. */
export async function DELETE(): Promise<Response> {
  await clearSession();
  return new Response(null, { status: 204 });
}
