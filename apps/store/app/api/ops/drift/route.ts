import { driftApiDeps, driftApiResponse } from '../../../../src/server/drift-api';

export const dynamic = 'force-dynamic';

/**
 * The drift dashboard's data: per-minute agreement and causes, per-field drift ratios, the latest
 * mismatches, the drifting shoppers and the pipeline's health. Needs OPS_TOKEN outside development
 * (Authorization: Bearer, or the cookie /api/ops/session sets).
 */
export async function GET(request: Request): Promise<Response> {
  return driftApiResponse(driftApiDeps(), request);
}
