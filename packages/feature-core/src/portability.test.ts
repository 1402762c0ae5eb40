/**
 * feature-core must run unchanged in a browser, a Web Worker and Node. Its tsconfig has no DOM or
 * Node types; this test goes further: it bundles the browser entry as a browser build would and runs
 * it in a bare JavaScript realm with no platform globals at all (no window, self, process, Buffer,
 * TextDecoder, URL, atob or require), then feeds it a real tracker payload.
 */
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { trackerPayload } from './test-support/builders.js';
import { sampleSpec } from './test-support/sample-specs.js';

async function bundleEntry(): Promise<string> {
  const out = await build({
    entryPoints: [new URL('./index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    globalName: 'featureCore',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return (out.outputFiles[0] as { text: string }).text;
}

describe('portability', () => {
  it('the browser entry runs in a realm with no platform globals', async () => {
    const code = await bundleEntry();
    const realm: Record<string, unknown> = {};
    runInNewContext(`${code}\nthis.featureCore = featureCore;`, realm);
    for (const name of ['window', 'self', 'process', 'Buffer', 'TextDecoder', 'URL', 'atob', 'require']) {
      expect(runInNewContext(`typeof ${name}`, realm), name).toBe('undefined');
    }
    const core = realm.featureCore as typeof import('./index.js');
    const payload = trackerPayload(sampleSpec('product_view'), { base64: true });
    const decoded = core.fromTrackerPayload(payload);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const engine = core.createFeatureEngine();
    expect(engine.apply(decoded.value).user).toBe('applied');
    const values = engine.evaluateUser(decoded.value.userKey, decoded.value.eventTimeMs)?.values;
    expect(values?.get('product_view_count_5m')).toBe('1');
    const restored = core.deserializeUserLane(
      core.serializeUserLane(engine.userLanes.get(decoded.value.userKey) as never),
    );
    expect(restored.ok).toBe(true);
  });
});
