/**
 * prom-client, loaded on first use: it takes tens of ms to load, which nodes without metrics
 * (the default) must not pay.
 *
 * @example
 * const registry = new (promClient().Registry)();
 */
export function promClient(): typeof import("prom-client") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("prom-client");
}
