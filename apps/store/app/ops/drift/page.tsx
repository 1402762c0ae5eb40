import type { Metadata } from 'next';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { DriftDashboard } from '../../../src/ops/DriftDashboard';
import { opsAuthConfig } from '../../../src/server/drift-api';
import { authorizeOps, OPS_COOKIE } from '../../../src/server/drift-auth';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: 'Drift dashboard',
  robots: { index: false, follow: false },
  referrer: 'no-referrer',
};

/**
 * The drift dashboard (not for shoppers): browser and server feature agreement over time, the
 * drifting shoppers, and the pipeline's health, updated live. With OPS_TOKEN set it needs the token:
 * `?token=` sends the browser to /api/ops/session, which sets the HttpOnly cookie and comes back here.
 * The page itself holds no data; its client reads `GET /api/ops/drift`, which checks the same.
 */
export default async function DriftPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  const token = typeof query.token === 'string' ? query.token : null;
  if (token !== null) redirect(`/api/ops/session?token=${encodeURIComponent(token)}`);
  const [jar, requestHeaders] = await Promise.all([cookies(), headers()]);
  const decision = authorizeOps(opsAuthConfig(), {
    authorization: requestHeaders.get('authorization'),
    cookie: jar.get(OPS_COOKIE)?.value ?? null,
  });
  return (
    <>
      <h1>Drift dashboard</h1>
      <p className="lead">
        Browser and server compute the same features from the same events; each client digest is compared with the
        server's values over exactly its events.
      </p>
      {decision.ok ? (
        <DriftDashboard />
      ) : (
        <p role="alert" className="message">
          {decision.message}
        </p>
      )}
    </>
  );
}
