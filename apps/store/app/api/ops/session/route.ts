import { opsSessionResponse } from '../../../../src/server/drift-api';

export const dynamic = 'force-dynamic';

/**
 * `GET /api/ops/session?token=<OPS_TOKEN>`: where /ops/drift?token= sends the browser. Checks the
 * token, sets the dashboard's HttpOnly SameSite=Strict cookie and redirects to /ops/drift without
 * the token in the address (a page cannot set cookies while it renders).
 */
export async function GET(request: Request): Promise<Response> {
  return opsSessionResponse(request);
}
