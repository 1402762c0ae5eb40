import { offerEventsResponse, offerStatsDeps } from '../../../../src/server/offer-stats-api';

export const dynamic = 'force-dynamic';

/**
 * The browser reports an offer rule that fired for it: `{ ruleId, kind: 'qualified'|'shown'|'dismissed' }`.
 * The server derives the shopper's holdout arm from the tracker's cookie and counts the outcome once
 * per browser, session and rule (`src/server/offer-stats-api.ts`); answers `{ arm, counted }`.
 */
export async function POST(request: Request): Promise<Response> {
  return offerEventsResponse(offerStatsDeps(), request);
}
