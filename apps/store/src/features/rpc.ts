/**
 * The one module that uses comlink: the worker exposes its API on a port, a tab wraps one, and
 * callbacks cross as proxies. Swapping the RPC library touches only this file.
 */
import * as Comlink from 'comlink';

export type Remote<T> = Comlink.Remote<T>;

/** An endpoint both sides can talk over: a MessagePort, a Worker, or a dedicated worker's scope. */
export type Endpoint = Comlink.Endpoint;

export function exposeApi(api: object, endpoint: Endpoint): void {
  Comlink.expose(api, endpoint);
}

export function wrapApi<T>(endpoint: Endpoint): Remote<T> {
  return Comlink.wrap<T>(endpoint);
}

/** Marks a callback to be called across the boundary instead of copied. */
export function proxyCallback<T extends (...args: never[]) => unknown>(callback: T): T {
  return Comlink.proxy(callback);
}

/** Releases a remote (or a callback proxy received from the other side); safe on a dead port. */
export function releaseRemote(remote: unknown): void {
  try {
    (remote as Remote<unknown>)[Comlink.releaseProxy]();
  } catch {
    // Already released, or the other side is gone: nothing to free.
  }
}
