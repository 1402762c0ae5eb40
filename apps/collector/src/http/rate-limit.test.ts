import { describe, expect, it } from 'vitest';
import { RateLimiter, RefusalLog, rateLimitMetrics, retryAfterSeconds } from './rate-limit.js';

describe('RateLimiter', () => {
  it('gives each key a bucket of `burst` tokens refilled at `perSecond`, and says how long to wait', () => {
    let t = 0;
    const limiter = new RateLimiter(1, 2, () => t);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 1000]);
    expect(limiter.take('b')).toBe(0);
    t = 400;
    expect(limiter.take('a')).toBe(600);
    t = 1000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1000);
  });

  it('never waits less than 1 ms and never refills past the burst', () => {
    let t = 0;
    const limiter = new RateLimiter(1000, 1, () => t);
    expect(limiter.take('a')).toBe(0);
    t = 0.9999;
    expect(limiter.take('a')).toBe(1);
    t = 60_000;
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 1]);
  });

  it('forgets buckets that are full again', () => {
    let t = 0;
    const limiter = new RateLimiter(1, 2, () => t);
    limiter.take('a');
    limiter.take('b');
    limiter.take('b');
    t = 1000;
    limiter.sweep();
    expect(limiter.size).toBe(1); // b is one token short
    t = 2000;
    limiter.sweep();
    expect(limiter.size).toBe(0);
    expect(limiter.take('a')).toBe(0);
  });

  it('refuses a limit no request could pass', () => {
    expect(() => new RateLimiter(0, 1, Date.now)).toThrow(RangeError);
    expect(() => new RateLimiter(1, 0.5, Date.now)).toThrow(RangeError);
    expect(() => new RateLimiter(Number.NaN, 1, Date.now)).toThrow(RangeError);
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds, at least 1', () => {
    expect([1, 999, 1000, 1001, 4000].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 4]);
  });
});

describe('RefusalLog', () => {
  it('logs the first refusal of a client, then a summary at most once per interval', () => {
    let t = 0;
    const lines: string[] = [];
    const log = new RefusalLog(
      60_000,
      () => t,
      (line) => lines.push(line),
    );
    for (let i = 0; i < 1000; i++) log.refused('203.0.113.1');
    expect(lines).toHaveLength(1);
    t = 59_999;
    log.refused('203.0.113.1');
    expect(lines).toHaveLength(1);
    t = 60_000;
    log.refused('203.0.113.1');
    expect(lines.at(-1)).toBe('rate limit: client 203.0.113.1: 1001 more requests answered 429 in the last 60 s');
    expect(log.stats()).toEqual({ refusedRequests: 1002, refusedClients: 1, refusingClients: 1 });
  });

  it('the sweep writes what is left once a client stops, then forgets it; it counts again next time', () => {
    let t = 0;
    const lines: string[] = [];
    const log = new RefusalLog(
      60_000,
      () => t,
      (line) => lines.push(line),
    );
    log.refused('a');
    t = 10_000;
    log.refused('a');
    log.sweep();
    expect(lines).toHaveLength(1);
    t = 60_000;
    log.sweep();
    expect(lines[1]).toBe('rate limit: client a: 1 more requests answered 429 in the last 60 s');
    expect(log.stats().refusingClients).toBe(1); // its last refusal was under an interval ago
    t = 70_000;
    log.sweep();
    expect(log.stats()).toEqual({ refusedRequests: 2, refusedClients: 1, refusingClients: 0 });
    log.refused('a');
    expect(lines[2]).toContain('client a is over its rate');
    expect(log.stats()).toEqual({ refusedRequests: 3, refusedClients: 2, refusingClients: 1 });
  });

  it('a client back after a quiet interval starts a new episode, its leftover logged first', () => {
    let t = 0;
    const lines: string[] = [];
    const log = new RefusalLog(
      1000,
      () => t,
      (line) => lines.push(line),
    );
    log.refused('a');
    log.refused('a');
    t = 5000; // no sweep ran in between
    log.refused('a');
    expect(lines).toEqual([
      expect.stringContaining('client a is over its rate'),
      'rate limit: client a: 1 more requests answered 429 in the last 5 s',
      expect.stringContaining('client a is over its rate'),
    ]);
    expect(log.stats().refusedClients).toBe(2);
  });
});

describe('rateLimitMetrics', () => {
  it('writes the counters in the Prometheus text format', () => {
    const text = rateLimitMetrics({ refusedRequests: 7, refusedClients: 2, refusingClients: 1 });
    expect(text).toContain('# TYPE tandem_collector_rate_limited_requests_total counter\n');
    expect(text).toMatch(/^tandem_collector_rate_limited_requests_total 7$/m);
    expect(text).toMatch(/^tandem_collector_rate_limited_clients_total 2$/m);
    expect(text).toMatch(/^# TYPE tandem_collector_rate_limited_clients gauge$/m);
    expect(text).toMatch(/^tandem_collector_rate_limited_clients 1$/m);
    expect(text.endsWith('\n')).toBe(true);
  });
});
