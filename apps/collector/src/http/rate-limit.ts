/**
 * The collector's rate limit, per client address: a token bucket per client (`RateLimiter`) and the
 * operator's view of the clients it refuses (`RefusalLog`: counters for `/metrics` and log lines, never
 * one per request). Both take the time from an injected clock.
 */

/** A token bucket per client key, refilled lazily; idle buckets are swept. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /**
   * @param perSecond tokens a client gets back per second (its sustained rate), > 0
   * @param burst the bucket's size (requests a fresh client may send at once), >= 1
   */
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) {
      throw new RangeError(`rate limit needs perSecond > 0 and burst >= 1, got ${perSecond} and ${burst}`);
    }
  }

  /**
   * Takes one token for `key`. Returns 0 when it was taken; otherwise the client is over its rate and
   * the result is the time in ms until a token is back (always > 0).
   */
  take(key: string): number {
    const t = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, at: t };
      this.buckets.set(key, bucket);
    } else {
      const elapsedS = Math.max(0, t - bucket.at) / 1000;
      bucket.tokens = Math.min(this.burst, bucket.tokens + elapsedS * this.perSecond);
      bucket.at = t;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) / this.perSecond) * 1000));
  }

  /** Forgets buckets that are full again. */
  sweep(): void {
    const t = this.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (Math.max(0, t - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** `Retry-After` for a wait of `waitMs`: whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** What the operator sees of the rate limit (`GET /metrics`). */
export interface RateLimitStats {
  /** Requests answered 429 since start. */
  refusedRequests: number;
  /**
   * Clients refused since start, each counted once per episode: a client counts again only after a
   * whole log interval without a refusal.
   */
  refusedClients: number;
  /** Clients refused within about the last log interval (forgotten by the sweep, every few seconds). */
  refusingClients: number;
}

interface Episode {
  /** When this client's last log line was written (epoch ms). */
  loggedAtMs: number;
  /** Its last refusal (epoch ms). */
  lastAtMs: number;
  /** Refusals since its last log line. */
  unlogged: number;
}

/**
 * Counts refused requests and logs them per client: one line when a client is first refused, then at
 * most one summary line per `intervalMs` while it keeps being refused, and the remainder once it stops
 * (at the next sweep after an interval). A flood gives a few lines a minute per client, never one per
 * request.
 */
export class RefusalLog {
  private readonly episodes = new Map<string, Episode>();
  private refusedRequests = 0;
  private refusedClients = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly log: (line: string) => void,
  ) {}

  /** Counts one refused request of `client` (its address). */
  refused(client: string): void {
    const t = this.now();
    this.refusedRequests++;
    const episode = this.episodes.get(client);
    if (episode === undefined || t - episode.lastAtMs >= this.intervalMs) {
      if (episode !== undefined && episode.unlogged > 0) this.summarise(client, episode, t);
      this.refusedClients++;
      this.episodes.set(client, { loggedAtMs: t, lastAtMs: t, unlogged: 0 });
      this.log(
        `rate limit: client ${client} is over its rate, answered 429 (further refusals summed up at most every ${Math.round(this.intervalMs / 1000)} s)`,
      );
      return;
    }
    episode.lastAtMs = t;
    episode.unlogged++;
    if (t - episode.loggedAtMs >= this.intervalMs) this.summarise(client, episode, t);
  }

  /** Writes the summaries that are due and forgets clients that went a whole interval without a refusal. */
  sweep(): void {
    const t = this.now();
    for (const [client, episode] of this.episodes) {
      if (episode.unlogged > 0 && t - episode.loggedAtMs >= this.intervalMs) this.summarise(client, episode, t);
      if (episode.unlogged === 0 && t - episode.lastAtMs >= this.intervalMs) this.episodes.delete(client);
    }
  }

  stats(): RateLimitStats {
    return {
      refusedRequests: this.refusedRequests,
      refusedClients: this.refusedClients,
      refusingClients: this.episodes.size,
    };
  }

  private summarise(client: string, episode: Episode, t: number): void {
    const seconds = Math.round((t - episode.loggedAtMs) / 1000);
    this.log(`rate limit: client ${client}: ${episode.unlogged} more requests answered 429 in the last ${seconds} s`);
    episode.loggedAtMs = t;
    episode.unlogged = 0;
  }
}

/** The rate-limit counters in the Prometheus text format (version 0.0.4). */
export function rateLimitMetrics(stats: RateLimitStats): string {
  return [
    '# HELP tandem_collector_rate_limited_requests_total Requests answered 429 because their client was over its rate limit.',
    '# TYPE tandem_collector_rate_limited_requests_total counter',
    `tandem_collector_rate_limited_requests_total ${stats.refusedRequests}`,
    '# HELP tandem_collector_rate_limited_clients_total Clients refused, once per episode (again after a log interval without a refusal).',
    '# TYPE tandem_collector_rate_limited_clients_total counter',
    `tandem_collector_rate_limited_clients_total ${stats.refusedClients}`,
    '# HELP tandem_collector_rate_limited_clients Clients refused within about the last log interval.',
    '# TYPE tandem_collector_rate_limited_clients gauge',
    `tandem_collector_rate_limited_clients ${stats.refusingClients}`,
    '',
  ].join('\n');
}
