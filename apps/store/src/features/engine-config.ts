/**
 * The feature engine's settings for this shop: money features in the catalogue's currency. They are
 * part of the definition version, so the edge-aggregator must run with the same (`BASE_CURRENCY=EUR`,
 * which `npm start` and the test stack set): otherwise the browser does not rebase on the server's
 * lanes and redemptions answer 503, both with a log line naming the two versions.
 */
import { definitionVersion, type EngineConfig } from '@tandem/feature-core';

/** The catalogue's currency (catalog/products.ts CURRENCY, not imported: the worker bundle stays free of the catalogue). */
export const STORE_ENGINE_CONFIG: EngineConfig = { baseCurrency: 'EUR', fxRates: {} };

/** The definition version of the shop's features (browser and server). */
export const STORE_DEFINITION_VERSION = definitionVersion(STORE_ENGINE_CONFIG);
