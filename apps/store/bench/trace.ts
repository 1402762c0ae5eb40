/**
 * Where the T5 time goes, from a Chrome trace (Playwright's `browser.startTracing`, browser-wide, so the
 * feature worker's thread is in it): busy time of each renderer thread per tracked event (its top-level
 * tasks), and what the busiest threads spend it on. Taken in a separate, shorter run than T5 itself:
 * tracing slows the page down.
 */

interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid: number;
  readonly ts: number;
  readonly dur?: number;
  readonly args?: { readonly name?: string };
}

export interface ThreadBusy {
  readonly thread: string;
  /** Sum of the thread's top-level task durations over the traced run, per tracked event (µs). */
  readonly busyUsPerEvent: number;
  readonly tasks: number;
  /** Trace events inside those tasks by name: µs per tracked event (nested events overlap). */
  readonly top: readonly { readonly name: string; readonly usPerEvent: number }[];
}

const TASK = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);

export function summarizeTrace(buffer: Buffer, events: number): ThreadBusy[] {
  const parsed = JSON.parse(buffer.toString('utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const all = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const threadNames = new Map<string, string>();
  const processNames = new Map<number, string>();
  for (const e of all) {
    if (e.ph !== 'M') continue;
    if (e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args?.name ?? '?');
    if (e.name === 'process_name') processNames.set(e.pid, e.args?.name ?? '?');
  }
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of all) {
    if (e.ph !== 'X' || e.dur === undefined) continue;
    const key = `${e.pid}:${e.tid}`;
    const list = byThread.get(key) ?? [];
    if (list.length === 0) byThread.set(key, list);
    list.push(e);
  }
  const out: ThreadBusy[] = [];
  for (const [key, list] of byThread) {
    const tasks = list.filter((e) => TASK.has(e.name)).sort((a, b) => a.ts - b.ts);
    // Top-level only: a task nested in another (a nested run loop) is already inside its parent.
    let busy = 0;
    let end = Number.NEGATIVE_INFINITY;
    let count = 0;
    for (const task of tasks) {
      if (task.ts < end) continue;
      busy += task.dur ?? 0;
      end = task.ts + (task.dur ?? 0);
      count++;
    }
    if (count === 0) continue;
    const names = new Map<string, number>();
    for (const e of list) if (!TASK.has(e.name)) names.set(e.name, (names.get(e.name) ?? 0) + (e.dur ?? 0));
    const pid = Number(key.split(':')[0]);
    out.push({
      thread: `${processNames.get(pid) ?? `pid ${pid}`} / ${threadNames.get(key) ?? key}`,
      busyUsPerEvent: Math.round(busy / events),
      tasks: count,
      top: [...names]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([name, us]) => ({ name, usPerEvent: Math.round(us / events) })),
    });
  }
  return out.sort((a, b) => b.busyUsPerEvent - a.busyUsPerEvent);
}
