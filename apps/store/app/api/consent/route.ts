import { parseChoice } from '../../../src/consent/model';
import { consentCookies } from '../../../src/consent/set-cookies';
import { requestCookies } from '../../../src/server/features-api';
import { jsonError, readJsonBody } from '../../../src/server/http';

/**
 * Stores the shopper's choice: `{ choice: 'granted' | 'anonymous' | 'denied' }` → the `tandem_consent`
 * cookie and `{ choice }`; anonymous statistics or a decline (or a withdrawal) also expire the Snowplow
 * cookies (`sp`, `_sp_id.*`, `_sp_ses.*`). The page deletes what lives only in the browser (IndexedDB, the tracker's queue).
 */
export async function POST(request: Request): Promise<Response> {
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const choice = parseChoice(read.body);
  if (choice === null) return jsonError(400, 'invalid_choice', 'choice must be "granted", "anonymous" or "denied"');
  const https = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
  const headers = new Headers({ 'cache-control': 'no-store' });
  for (const cookie of consentCookies(
    choice,
    requestCookies(request).map((c) => c.name),
    https,
  ))
    headers.append('set-cookie', cookie);
  return Response.json({ choice }, { headers });
}
