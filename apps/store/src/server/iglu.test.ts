import { FEATURE_DIGEST_SCHEMA, FEATURE_DIGEST_SCHEMA_URI } from '@tandem/feature-core';
import { describe, expect, it } from 'vitest';
import { igluResponse } from './iglu';

describe('the /iglu/ static repository', () => {
  it('answers the feature digest schema at its Iglu path, and 404 for anything else', async () => {
    const [vendor, name, format, version] = FEATURE_DIGEST_SCHEMA_URI.slice('iglu:'.length).split('/') as string[];
    const response = igluResponse([vendor ?? '', name ?? '', format ?? '', version ?? '']);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('max-age');
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(FEATURE_DIGEST_SCHEMA)));
    expect(igluResponse(['com.tandem', 'feature_digest', 'jsonschema', '9-0-0']).status).toBe(404);
    expect(igluResponse(['..', '..', 'etc', 'passwd']).status).toBe(404);
  });
});
