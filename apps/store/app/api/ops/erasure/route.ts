import { erasureApiDeps, erasureResponse } from '../../../../src/server/erasure-api';

export const dynamic = 'force-dynamic';

/**
 * Erases a shopper: `{ "userKeys": [...], "sessionKeys": [...] }` with `Authorization: Bearer
 * <OPS_TOKEN>` (see src/server/erasure-api.ts and docs/decisions/0008-erasure.md).
 */
export async function POST(request: Request): Promise<Response> {
  return erasureResponse(erasureApiDeps(), request);
}
