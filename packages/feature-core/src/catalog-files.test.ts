/**
 * The generated files must match the definitions: docs/catalog.md (so the docs never lie) and
 * src/read-fields.ts (so the read client's types never lie). Regenerate both with
 * `npm run catalog -w @tandem/feature-core`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFeatureCatalog } from './catalog.js';
import { renderCatalogMarkdown } from './catalog-markdown.js';
import { renderReadFieldTypes } from './catalog-types.js';

const REGENERATE = 'out of date with src/definitions.ts: run `npm run catalog -w @tandem/feature-core`';
const catalog = buildFeatureCatalog();

describe('generated catalogue files', () => {
  it('docs/catalog.md is the rendering of the current definitions', () => {
    const onDisk = readFileSync(new URL('../../../docs/catalog.md', import.meta.url), 'utf8');
    expect(onDisk === renderCatalogMarkdown(catalog), `docs/catalog.md is ${REGENERATE}`).toBe(true);
  });

  it('src/read-fields.ts is the rendering of the current definitions', () => {
    const onDisk = readFileSync(new URL('./read-fields.ts', import.meta.url), 'utf8');
    expect(onDisk === renderReadFieldTypes(catalog), `src/read-fields.ts is ${REGENERATE}`).toBe(true);
  });

  it('the page lists every feature with its string key and hash field', () => {
    const page = renderCatalogMarkdown(catalog);
    expect(page).toContain(catalog.definitionVersion);
    for (const feature of catalog.features) {
      const row = page.split('\n').find((line) => line.startsWith(`| \`${feature.name}\` `));
      expect(row, feature.name).toBeDefined();
      expect(row).toContain(`\`${feature.key}\``);
      expect(row).toContain(`\`${feature.field}\``);
      expect(row).toContain(feature.meaning.replaceAll('|', '\\|'));
    }
  });

  it('the read types have one property per feature, nullable exactly when the empty value is "no value"', () => {
    const types = renderReadFieldTypes(catalog);
    for (const feature of catalog.features) {
      const line = types.split('\n').find((l) => l.startsWith(`  readonly ${feature.name}: `) && !l.includes("'5m'"));
      expect(line, feature.name).toBeDefined();
      expect(line?.endsWith(' | null;'), feature.name).toBe(feature.emptyValue === null);
    }
  });
});
