/**
 * `npm run catalog -w @tandem/feature-core`: writes the files generated from the feature
 * definitions, docs/catalog.md and src/read-fields.ts. Run it after changing a definition;
 * src/catalog-files.test.ts fails until you do.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { buildFeatureCatalog } from '../src/catalog.js';
import { renderCatalogMarkdown } from '../src/catalog-markdown.js';
import { renderReadFieldTypes } from '../src/catalog-types.js';

const catalog = buildFeatureCatalog();
const outputs = [
  { url: new URL('../../../docs/catalog.md', import.meta.url), text: renderCatalogMarkdown(catalog) },
  { url: new URL('../src/read-fields.ts', import.meta.url), text: renderReadFieldTypes(catalog) },
];
for (const { url, text } of outputs) {
  let current: string | null = null;
  try {
    current = readFileSync(url, 'utf8');
  } catch {
    // Not written yet.
  }
  if (current === text) {
    console.log(`unchanged ${url.pathname}`);
  } else {
    writeFileSync(url, text);
    console.log(`wrote ${url.pathname}`);
  }
}
console.log(`definition version ${catalog.definitionVersion}, ${catalog.features.length} features`);
