import { ENRICHED_FIELD_COUNT, ENRICHED_FIELDS } from '@tandem/feature-core/enriched';
import { describe, expect, it } from 'vitest';
import { ENRICHED_FIELD_NAMES, emptyFields, toTsvLine } from './tsv.js';

describe('enriched TSV layout', () => {
  it('has the 131 fields of SNOWPLOW.md §3', () => {
    expect(ENRICHED_FIELD_NAMES).toHaveLength(131);
    expect(ENRICHED_FIELD_NAMES.length).toBe(ENRICHED_FIELD_COUNT);
    expect(new Set(ENRICHED_FIELD_NAMES).size).toBe(131);
  });

  it('agrees with the positions feature-core reads', () => {
    for (const [name, index] of Object.entries(ENRICHED_FIELDS)) {
      expect(ENRICHED_FIELD_NAMES[index]).toBe(name);
    }
  });

  it('spot-checks positions across the line', () => {
    const at = (i: number) => ENRICHED_FIELD_NAMES[i];
    expect([at(0), at(13), at(28), at(44), at(77), at(93), at(108), at(118), at(129), at(130)]).toEqual([
      'app_id',
      'user_ipaddress',
      'ip_netspeed',
      'refr_medium',
      'useragent',
      'br_cookies',
      'tr_currency',
      'etl_tags',
      'event_fingerprint',
      'true_tstamp',
    ]);
  });

  it('writes 131 tab-separated values with tabs and newlines inside values replaced by spaces', () => {
    const fields = emptyFields();
    fields.app_id = 'shop';
    fields.page_title = 'Shoes\tand\r\nsocks';
    const line = toTsvLine(fields);
    const parts = line.split('\t');
    expect(parts).toHaveLength(131);
    expect(parts[0]).toBe('shop');
    expect(parts[30]).toBe('Shoes and  socks');
    expect(parts.slice(1, 30).every((p) => p === '')).toBe(true);
    expect(line).not.toMatch(/[\r\n]/);
  });
});
