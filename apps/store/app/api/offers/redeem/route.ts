import { offerStatsDeps, redeemWithHoldout } from '../../../../src/server/offer-stats-api';
import { redeemResponse } from '../../../../src/server/redeem-api';
import { offerDeps } from '../../../../src/server/redis-client';
import { currentUser } from '../../../../src/server/shopper';

export const dynamic = 'force-dynamic';

/**
 * Redeems an offer the shopper's browser showed: a claim "rule R fired at event E", checked against
 * the server's own state right after E (`src/server/redemption.ts`), answered with a signed,
 * single-use code (`src/server/redeem-api.ts`).
 */
export async function POST(request: Request): Promise<Response> {
  const user = await currentUser();
  // Holdout (offer-stats-api.ts): control shoppers are refused before any check; granted codes are counted.
  return redeemWithHoldout(offerStatsDeps(), request, (req) => redeemResponse(offerDeps(), user?.id ?? null, req));
}
