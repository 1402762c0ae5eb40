import { describe, expect, it } from 'vitest';
import {
  aggregatorMetricsUrl,
  type DriftApiDeps,
  driftApiResponse,
  opsSessionResponse,
  parseMinutes,
} from './drift-api';
import { opsCookieValue } from './drift-auth';
import type { DriftSnapshot } from './drift-reader';
import { offersReport } from './offer-stats-model';

const TOKEN = 'ops-token-for-the-api-test';
const URL_ = 'http://127.0.0.1:3000/api/ops/drift';

function deps(overrides: Partial<DriftApiDeps> = {}): DriftApiDeps & { minutesRead: number[] } {
  const minutesRead: number[] = [];
  return {
    minutesRead,
    auth: { token: TOKEN, production: true },
    drift: {
      read: async (options) => {
        minutesRead.push(options?.minutes ?? -1);
        return { group: 'g', minutes: [] } as unknown as DriftSnapshot;
      },
    },
    health: { read: async () => ({ available: false, metricsUrl: 'http://x/metrics', reason: 'down' }) },
    now: () => 42,
    log: () => {},
    ...overrides,
  };
}

describe('GET /api/ops/drift', () => {
  it('answers 401 without the token, and never caches', async () => {
    const response = await driftApiResponse(deps(), new Request(URL_));
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await response.json()).toMatchObject({ error: { code: 'ops_token_required' } });
  });

  it('answers 503 in production without OPS_TOKEN', async () => {
    const response = await driftApiResponse(deps({ auth: { token: undefined, production: true } }), new Request(URL_));
    expect(response.status).toBe(503);
  });

  it('answers the drift and the pipeline health with a bearer token or the cookie', async () => {
    const d = deps();
    const bearer = await driftApiResponse(
      d,
      new Request(`${URL_}?minutes=15`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get('cache-control')).toBe('no-store');
    expect(await bearer.json()).toEqual({
      generatedAtMs: 42,
      drift: { available: true, group: 'g', minutes: [] },
      pipeline: { available: false, metricsUrl: 'http://x/metrics', reason: 'down' },
      offers: { available: false, reason: expect.stringMatching(/UPSTASH_REDIS_REST_TOKEN/) },
    });
    expect(d.minutesRead).toEqual([15]);
    const cookie = await driftApiResponse(
      d,
      new Request(URL_, { headers: { cookie: `a=b; tandem_ops=${opsCookieValue(TOKEN)}` } }),
    );
    expect(cookie.status).toBe(200);
  });

  it('says what is missing when Redis is not configured or cannot be read', async () => {
    const auth = { token: undefined, production: false };
    const none = await (await driftApiResponse(deps({ auth, drift: undefined }), new Request(URL_))).json();
    expect(none.drift).toMatchObject({ available: false, reason: expect.stringMatching(/UPSTASH_REDIS_REST_TOKEN/) });
    const failing = deps({
      auth,
      drift: {
        read: async () => {
          throw new Error('connection refused');
        },
      },
    });
    const body = await (await driftApiResponse(failing, new Request(URL_))).json();
    expect(body.drift.reason).toMatch(/connection refused/);
  });

  it('carries the offers report beside the drift, and says why when it cannot be read', async () => {
    const auth = { token: undefined, production: false };
    const report = offersReport({ '*|treatment|qualified': '3' }, { share: 0.1, salt: 's' });
    const ok = await (
      await driftApiResponse(deps({ auth, offers: { read: async () => report } }), new Request(URL_))
    ).json();
    expect(ok.offers).toEqual({ available: true, ...JSON.parse(JSON.stringify(report)) });
    const down = deps({
      auth,
      offers: {
        read: async () => {
          throw new Error('connection refused');
        },
      },
    });
    const body = await (await driftApiResponse(down, new Request(URL_))).json();
    expect(body.offers).toEqual({ available: false, reason: 'Redis could not be read (connection refused)' });
    expect(body.drift.available).toBe(true); // one failing panel does not take the others down
  });
});

describe('GET /api/ops/session', () => {
  const auth = { token: TOKEN, production: false };

  it('trades a right token for the cookie and redirects to the dashboard without it', () => {
    const response = opsSessionResponse(new Request(`http://127.0.0.1:3000/api/ops/session?token=${TOKEN}`), auth);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/ops/drift');
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toMatch(/^tandem_ops=[^;]+; Path=\/ops; .*HttpOnly; SameSite=Strict$/);
    expect(cookies[1]).toMatch(/^tandem_ops=[^;]+; Path=\/api\/ops; .*HttpOnly; SameSite=Strict$/);
    for (const cookie of cookies) expect(cookie).not.toContain(TOKEN);
  });

  it('answers 401 to a wrong token, and sets no cookie', async () => {
    const response = opsSessionResponse(new Request('http://127.0.0.1:3000/api/ops/session?token=nope'), auth);
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toMatch(/needs its token/);
  });
});

describe('settings', () => {
  it('reads ?minutes= within a day, else 60', () => {
    expect(parseMinutes('15')).toBe(15);
    for (const bad of [null, '', '0', '-3', '1.5', '1441', 'x']) expect(parseMinutes(bad)).toBe(60);
  });

  it('finds the aggregator metrics from AGGREGATOR_METRICS_URL, the stack METRICS_PORT, or the default', () => {
    expect(aggregatorMetricsUrl({ AGGREGATOR_METRICS_URL: 'http://a:1' })).toBe('http://a:1');
    expect(aggregatorMetricsUrl({ METRICS_PORT: '5555' })).toBe('http://127.0.0.1:5555');
    expect(aggregatorMetricsUrl({})).toBe('http://127.0.0.1:9464');
  });
});
