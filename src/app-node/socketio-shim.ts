/**
 * The one place where socket.io-cluster reaches into socket.io's classes (see the test
 * `socketio-shim.test.ts`, which fails loudly when an upgrade moves what is used here).
 */
import { Socket } from "socket.io";

/** What an adapter may implement to hear that one of its sockets got an outgoing listener. */
export interface OutgoingListenerAware {
  _outgoingListenerAdded?(): void;
}

const PATCHED = Symbol.for("socket.io-cluster.outgoing-listeners");

/**
 * Broadcasts are written by io-nodes, so an app-node notifies `onAnyOutgoing` listeners of its
 * sockets itself, but only in namespaces where a socket has one: the adapter must hear when the
 * first is added. Patched once per process, whichever copy of this module loads first.
 */
export function watchOutgoingListeners(): void {
  const proto = Socket.prototype as unknown as Record<string | symbol, unknown> & { adapter?: unknown };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  for (const name of ["onAnyOutgoing", "prependAnyOutgoing"] as const) {
    const original = proto[name];
    if (typeof original !== "function") {
      throw new Error(`socket.io-cluster: socket.io's Socket has no ${name}() any more; this version of socket.io is not supported`);
    }
    proto[name] = function (this: { adapter?: OutgoingListenerAware }, ...args: unknown[]) {
      this.adapter?._outgoingListenerAdded?.();
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

/** Notifies a socket's outgoing listeners of a packet it is sent (Socket.IO's own hook). */
export function notifyOutgoing(socket: unknown, packet: unknown): void {
  (socket as { notifyOutgoingListeners?(p: unknown): void }).notifyOutgoingListeners?.(packet);
}
