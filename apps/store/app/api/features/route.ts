import { featuresResponse } from '../../../src/server/features-api';
import { featuresRedis } from '../../../src/server/redis-client';
import { currentUser } from '../../../src/server/shopper';

export const dynamic = 'force-dynamic';

/**
 * The requesting shopper's own authoritative features (`src/server/features-api.ts`). The keys come
 * from the session and the tracker's cookie only: no query parameter is read.
 */
export async function GET(request: Request): Promise<Response> {
  const user = await currentUser();
  return featuresResponse(featuresRedis(), user?.id ?? null, request);
}
