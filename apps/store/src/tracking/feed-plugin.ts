/**
 * The tracker plugin that feeds the in-browser feature worker: it gives every event a true timestamp
 * (`ttm`) before the payload is finished, including events the tracker fires by itself, and hands the
 * finished payload (same `eid`, same timestamps) to a sink once the tracker will really send it.
 * No DOM access here: whether an event is sent is asked through `isSent`.
 */
import type { BrowserPlugin } from '@snowplow/browser-tracker';

/** One finished tracker event as it is sent: every value a string (SNOWPLOW.md §1). */
export type SentPayload = Readonly<Record<string, string>>;

/** Receives every event the tracker sends. Must not throw (errors are caught and logged anyway). */
export type EventSink = (payload: SentPayload) => void;

export interface FeedPluginOptions {
  readonly sink: EventSink;
  /**
   * Whether the tracker sends events at all right now. `afterTrack` also runs for events the
   * tracker drops (Do Not Track, an opt-out cookie): those must not reach the worker.
   */
  readonly isSent: () => boolean;
  /** Epoch ms; injectable for tests. */
  readonly now?: () => number;
  readonly onError?: (error: unknown) => void;
}

/** The payload with every value as the string the tracker puts on the wire (numbers such as `cd` included). */
export function toSentPayload(payload: Readonly<Record<string, unknown>>): SentPayload {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    out[name] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

export function createFeedPlugin(options: FeedPluginOptions): BrowserPlugin {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => {});
  return {
    beforeTrack(payloadBuilder) {
      // A call that passed `{ type: 'ttm' }` already has one; everything else (our calls without a
      // timestamp, page pings) gets its device-created time as its true time, so both sides window
      // on the same instant.
      const fields = payloadBuilder.getPayload();
      if (fields.ttm !== undefined) return;
      const created = Number(fields.dtm);
      payloadBuilder.add('ttm', String(Number.isFinite(created) && created > 0 ? created : now()));
    },
    afterTrack(payload) {
      try {
        if (!options.isSent()) return;
        options.sink(toSentPayload(payload as Record<string, unknown>));
      } catch (error) {
        onError(error);
      }
    },
  };
}
