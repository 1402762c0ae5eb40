import { offerEventsResponse, offerStatsDeps } from '../../../../src/server/offer-stats-api';

export const dynamic = 'force-dynamic';

/**
 * The browser reports an offer rule that fired for it: `{ ruleId, kind: 'qualified'|'shown'|'dismissed' }`,
 * or that its feature worker took the session for a bot: `{ kind: 'bot', reason }`. The server derives
 * the shopper's holdout arm from the tracker's cookie and counts the outcome once per browser, session
 * and rule, a bot once per browser session by reason (`src/server/offer-stats-api.ts`); answers `{ arm, counted }`.
 */
export async function POST(request: Request): Promise<Response> {
  return offerEventsResponse(offerStatsDeps(), request);
}
