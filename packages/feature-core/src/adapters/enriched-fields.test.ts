import { describe, expect, it } from 'vitest';
import { ENRICHED_FIELD_NAMES } from './enriched-fields.js';
import { ENRICHED_FIELD_COUNT, ENRICHED_FIELDS } from './enriched-tsv.js';

describe('enriched field names', () => {
  it('list 131 distinct fields, and the adapter reads each field at its position in that list', () => {
    expect(ENRICHED_FIELD_NAMES).toHaveLength(ENRICHED_FIELD_COUNT);
    expect(new Set(ENRICHED_FIELD_NAMES).size).toBe(131);
    for (const [name, index] of Object.entries(ENRICHED_FIELDS)) expect(ENRICHED_FIELD_NAMES[index], name).toBe(name);
    expect([ENRICHED_FIELD_NAMES[0], ENRICHED_FIELD_NAMES[124], ENRICHED_FIELD_NAMES[130]]).toEqual([
      'app_id',
      'derived_tstamp',
      'true_tstamp',
    ]);
  });
});
