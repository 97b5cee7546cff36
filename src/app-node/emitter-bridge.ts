import * as msgpack from "notepack.io";
import type { BroadcastOptions } from "socket.io-adapter";
import { debug as makeDebug, warn } from "../log";
import type { Transport, Unsubscribe } from "../transport/transport";
import type { Namespace } from "socket.io";
import { serverSideEmitHere } from "../socketio-shim";
import { emitterPatterns } from "../transport/keys";

const debug = makeDebug("emitter-bridge");

/** `@socket.io/redis-emitter`'s request types (the ones it sends; the others are servers' own). */
const enum EmitterRequest {
  REMOTE_JOIN = 2,
  REMOTE_LEAVE = 3,
  REMOTE_DISCONNECT = 4,
  SERVER_SIDE_EMIT = 6,
}

const EVENT = 2;

/**
 * Lets processes using `@socket.io/redis-emitter` (`new Emitter(redis, { key: prefix })`) reach
 * the cluster. The emitter publishes broadcasts on `<prefix>#<nsp>#` (`<prefix>#<nsp>#<room>#`
 * with exactly one room) as msgpack `[uid, packet, opts]`, and requests on `<prefix>-request#<nsp>#`
 * as JSON. Every app-node hears each message and acts for the sockets it owns only (the `local`
 * flag: io-nodes write a local broadcast to the sender's sockets), so each client gets a broadcast
 * once however many app-nodes there are, without electing one. Namespaces absent from an app-node
 * have no socket there: their messages are dropped. Garbage is logged and dropped.
 *
 * Two PSUBSCRIBE patterns on the subscriber connection, beside the prefix's own `<prefix>:` channels:
 * without an emitter, nothing is published there and nothing runs. The emitter PUBLISHes (classic
 * pub/sub), so on Redis Cluster too these stay classic pattern subscriptions, not sharded ones.
 */
export class EmitterBridge {
  private readonly unsubscribes: Unsubscribe[] = [];
  private readonly patterns: ReturnType<typeof emitterPatterns>;

  constructor(
    private readonly transport: Transport,
    private readonly namespaces: () => Map<string, Namespace>,
  ) {
    this.patterns = emitterPatterns(transport.prefix);
  }

  /**
   * Subscribes to the emitter's channels; resolves once Redis confirmed (a no-op without pattern
   * subscriptions, as on the memory transport).
   *
   * @example
   * const bridge = new EmitterBridge(transport, () => namespacesOf(io));
   * await bridge.start();
   */
  async start(): Promise<void> {
    if (!this.transport.subscribePattern) return;
    const { broadcasts, requests } = this.patterns;
    this.unsubscribes.push(await this.transport.subscribePattern(broadcasts, (_c, payload) => this.onBroadcast(payload)));
    this.unsubscribes.push(await this.transport.subscribePattern(requests, (c, payload) => this.onRequest(c, payload)));
    debug("listening to the redis emitter under %s", this.transport.prefix);
  }

  private namespace(name: unknown): Namespace | undefined {
    if (typeof name !== "string") return undefined;
    const nsp = this.namespaces().get(name);
    if (!nsp) debug("namespace %s has no socket here: message dropped", name);
    return nsp;
  }

  private onBroadcast(payload: Buffer): void {
    let packet: { type?: unknown; data?: unknown; nsp?: unknown };
    let opts: { rooms?: unknown; except?: unknown; flags?: { volatile?: unknown; compress?: unknown } };
    try {
      const decoded = msgpack.decode(payload) as unknown;
      if (!Array.isArray(decoded)) throw new Error("not an array");
      [, packet, opts] = decoded as [unknown, typeof packet, typeof opts];
      if (!packet || packet.type !== EVENT || !Array.isArray(packet.data) || typeof packet.data[0] !== "string") {
        throw new Error("not an event packet");
      }
    } catch (err) {
      warn("emitter-garbage", `redis emitter: dropping an undecodable broadcast: ${(err as Error).message}`);
      return;
    }
    let rooms: Pick<BroadcastOptions, "rooms" | "except">;
    try {
      rooms = targets(opts);
    } catch (err) {
      warn("emitter-garbage", `redis emitter: dropping a broadcast: ${(err as Error).message}`);
      return;
    }
    const nsp = this.namespace(packet.nsp);
    if (!nsp) return;
    const flags = opts?.flags ?? {};
    const bopts: BroadcastOptions = {
      ...rooms,
      flags: {
        // only the sockets this app-node owns: each app-node sends for its own (exactly once overall)
        local: true,
        ...(flags.volatile === true ? { volatile: true } : {}),
        ...(flags.compress === false ? { compress: false } : {}),
      },
    };
    try {
      nsp.adapter.broadcast({ type: EVENT, data: packet.data, nsp: packet.nsp }, bopts);
    } catch (err) {
      warn("emitter-failed", `redis emitter: a broadcast to ${packet.nsp} failed: ${(err as Error).message}`);
    }
  }

  private onRequest(channel: string, payload: Buffer): void {
    let request: { type?: unknown; opts?: unknown; rooms?: unknown; close?: unknown; data?: unknown };
    let rooms: Pick<BroadcastOptions, "rooms" | "except">;
    try {
      request = JSON.parse(payload.toString());
      if (!request || typeof request.type !== "number") throw new Error("no request type");
      rooms = targets(request.opts as never);
    } catch (err) {
      warn("emitter-garbage", `redis emitter: dropping an undecodable request: ${(err as Error).message}`);
      return;
    }
    // "<prefix>-request#<nsp>#"
    const nsp = this.namespace(channel.slice(this.patterns.requestPrefix.length, -1));
    if (!nsp) return;
    const bopts: BroadcastOptions = { ...rooms, flags: { local: true } };
    try {
      switch (request.type) {
        case EmitterRequest.REMOTE_JOIN:
          if (isStrings(request.rooms)) void nsp.adapter.addSockets(bopts, request.rooms);
          return;
        case EmitterRequest.REMOTE_LEAVE:
          if (isStrings(request.rooms)) void nsp.adapter.delSockets(bopts, request.rooms);
          return;
        case EmitterRequest.REMOTE_DISCONNECT:
          void nsp.adapter.disconnectSockets(bopts, request.close === true);
          return;
        case EmitterRequest.SERVER_SIDE_EMIT:
          if (Array.isArray(request.data) && typeof request.data[0] === "string") serverSideEmitHere(nsp, request.data as [string, ...unknown[]]);
          return;
        default:
          // the other types are requests between redis-adapter servers, which we do not answer
          debug("request type %d ignored", request.type);
      }
    } catch (err) {
      warn("emitter-failed", `redis emitter: request ${request.type} failed: ${(err as Error).message}`);
    }
  }

  /** Removes the subscriptions. Idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.unsubscribes.splice(0).map((u) => u().catch(() => undefined)));
  }
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/** The rooms and excepted rooms of an emitter message; throws on anything but lists of strings. */
function targets(opts: { rooms?: unknown; except?: unknown } | undefined): Pick<BroadcastOptions, "rooms" | "except"> {
  // a bad room list must not widen the message to everyone
  const pick = (v: unknown) => {
    if (v === undefined) return new Set<string>();
    if (!isStrings(v)) throw new Error("rooms are not a list of strings");
    return new Set(v);
  };
  return { rooms: pick(opts?.rooms), except: pick(opts?.except) };
}
