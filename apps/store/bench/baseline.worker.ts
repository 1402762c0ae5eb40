/**
 * The T6 baseline in the browser: a dedicated worker that receives the same payloads the same way
 * (structured clone, untimed) and times the same loop doing only the JSON decode (`decodeOnly`).
 */
import type { SentPayload } from '../src/tracking/tracker.js';
import type { BaselineResult } from './page.js';
import { decodeOnly } from './payloads.js';

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<readonly SentPayload[]>) => void) | null;
  postMessage(message: BaselineResult): void;
};

scope.onmessage = (event) => {
  const payloads = event.data;
  const start = performance.now();
  const checksum = decodeOnly(payloads);
  const totalMs = performance.now() - start;
  scope.postMessage({
    events: payloads.length,
    totalMs,
    perEventUs: payloads.length === 0 ? 0 : (totalMs * 1_000) / payloads.length,
    checksum,
  });
};
