/**
 * `GET /api/catalog`: the feature catalogue (`buildFeatureCatalog()` from feature-core) as JSON, for
 * other systems that read the features from Redis: every feature's string key, hash field, windows,
 * value type, empty value and meaning. Public (it describes the data, holds none of it) and
 * cacheable: it changes only with a deploy that changes the definitions.
 *
 * ETag: the definition version, plus a short hash of the body, since a reworded meaning changes the
 * document but not the version (`"1-3jgbo4645.5f0c2e1a9b7d"`). `If-None-Match` with it answers 304.
 */
import { createHash } from 'node:crypto';
import { buildFeatureCatalog, type FeatureCatalog } from '@tandem/feature-core';
import { STORE_ENGINE_CONFIG } from '../features/engine-config';

/** Clients and CDNs may reuse it for 5 minutes, then revalidate with the ETag. */
export const CATALOG_CACHE_CONTROL = 'public, max-age=300, must-revalidate';

export interface CatalogDocument {
  readonly body: string;
  readonly etag: string;
}

/**
 * The catalogue's JSON text and ETag, by default for the shop's engine configuration (money in EUR):
 * its definition version is the `_v` the aggregator stamps on this deployment's hashes.
 */
export function catalogDocument(catalog: FeatureCatalog = buildFeatureCatalog(STORE_ENGINE_CONFIG)): CatalogDocument {
  const body = JSON.stringify(catalog);
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { body, etag: `"${catalog.definitionVersion}.${digest}"` };
}

/** Whether an `If-None-Match` header names `etag` (a list, `*`, weak validators compare weakly). */
export function matchesEtag(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

let cached: CatalogDocument | undefined;

/** The process's catalogue document, built on first use (the definitions cannot change while it runs). */
function currentDocument(): CatalogDocument {
  if (cached === undefined) cached = catalogDocument();
  return cached;
}

/** The route's answer: 200 with the catalogue, or 304 when the client's copy is current. */
export function catalogResponse(request: Request, document: CatalogDocument = currentDocument()): Response {
  const headers = { etag: document.etag, 'cache-control': CATALOG_CACHE_CONTROL };
  if (matchesEtag(request.headers.get('if-none-match'), document.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(document.body, {
    status: 200,
    headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
  });
}
