import { buildFeatureCatalog, type FeatureCatalog } from '@tandem/feature-core';
import { describe, expect, it } from 'vitest';
import { STORE_DEFINITION_VERSION, STORE_ENGINE_CONFIG } from '../features/engine-config';
import { CATALOG_CACHE_CONTROL, catalogDocument, catalogResponse, matchesEtag } from './catalog-api';

const request = (headers: Record<string, string> = {}) => new Request('http://store.test/api/catalog', { headers });

describe('GET /api/catalog', () => {
  it('answers the feature catalogue as cacheable JSON with the definition version in its ETag', async () => {
    const response = catalogResponse(request());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe(CATALOG_CACHE_CONTROL);
    const body = (await response.json()) as FeatureCatalog;
    // The shop's configuration (money in EUR), whose version the aggregator stamps on the hashes.
    expect(body).toEqual(buildFeatureCatalog(STORE_ENGINE_CONFIG));
    expect(body.baseCurrency).toBe('EUR');
    expect(body.definitionVersion).toBe(STORE_DEFINITION_VERSION);
    expect(response.headers.get('etag')).toMatch(new RegExp(`^"${STORE_DEFINITION_VERSION}\\.[0-9a-f]{12}"$`));
    const feature = body.features.find((f) => f.name === 'avg_order_value');
    expect(feature).toMatchObject({ key: 'user:{userKey}:avg_order_value_{window}', valueType: 'decimal' });
  });

  it('answers 304 without a body when the client already has this version', async () => {
    const etag = catalogResponse(request()).headers.get('etag') as string;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = catalogResponse(request({ 'if-none-match': ifNoneMatch }));
      expect(response.status, ifNoneMatch).toBe(304);
      expect(await response.text()).toBe('');
      expect(response.headers.get('etag')).toBe(etag);
    }
    expect(catalogResponse(request({ 'if-none-match': '"1-older.000000000000"' })).status).toBe(200);
  });

  it('a reworded meaning changes the ETag even when the definition version stays', () => {
    const catalog = buildFeatureCatalog();
    const reworded: FeatureCatalog = {
      ...catalog,
      features: catalog.features.map((f, i) => (i === 0 ? { ...f, meaning: `${f.meaning} Reworded.` } : f)),
    };
    const before = catalogDocument(catalog).etag;
    const after = catalogDocument(reworded).etag;
    expect(after).not.toBe(before);
    expect(after.startsWith(`"${catalog.definitionVersion}.`)).toBe(true);
    expect(matchesEtag(before, after)).toBe(false);
    expect(matchesEtag(null, after)).toBe(false);
  });
});
