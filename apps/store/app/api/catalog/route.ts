import { catalogResponse } from '../../../src/server/catalog-api';

/**
 * The feature catalogue as JSON (docs/catalog.md is the same data as a page): public, cacheable,
 * ETag = the definition version and a hash of the body. Runs per request only to answer
 * `If-None-Match` with 304; the document itself is built once per process.
 */
export function GET(request: Request): Response {
  return catalogResponse(request);
}
