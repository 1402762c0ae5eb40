import { laneStateResponse } from '../../../../src/server/lane-snapshots';
import { laneSnapshots } from '../../../../src/server/redis-client';
import { currentUser } from '../../../../src/server/shopper';

export const dynamic = 'force-dynamic';

/**
 * The requesting shopper's authoritative feature-core state (the aggregator's lane snapshots), which
 * the feature worker rebases on when it starts. Keys from the session and the tracker's cookie only.
 */
export async function GET(request: Request): Promise<Response> {
  const user = await currentUser();
  return laneStateResponse(laneSnapshots(), user?.id ?? null, request);
}
