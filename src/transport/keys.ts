/**
 * The key scheme: every Redis key and channel name the cluster uses, in one place.
 *
 * Callers name things relative to the cluster prefix ({@link sessionKey}, {@link adapterChannel}...)
 * and a transport scopes them ({@link RedisKeys.scope}). Each name carries a Redis Cluster hash tag
 * (`{...}`): the part of the name Redis Cluster hashes to pick the slot. So
 *
 * - what is read together shares a slot: the registry, the link addresses and the link secret
 *   (the cluster-wide names) are all tagged with the prefix;
 * - what is unrelated spreads over the shards: each node's inbox is tagged with its node id, each
 *   session with its pid, each namespace's adapter channel and recovery log with the namespace.
 *
 * On a single Redis a tag is only part of the name and costs nothing. Every name starts with
 * `<prefix>:`, so the ACL patterns `~<prefix>:*` and `&<prefix>:*` cover them all.
 *
 * | name                                   | what                                        |
 * | -------------------------------------- | ------------------------------------------- |
 * | `<prefix>:{<prefix>}:nodes`            | node registry (hash)                        |
 * | `<prefix>:{<prefix>}:links`            | direct-link addresses (hash)                |
 * | `<prefix>:{<prefix>}:link-secret`      | direct-link secret (string)                 |
 * | `<prefix>:{<nodeId>}:inbox`            | a node's inbox (stream)                     |
 * | `<prefix>:{<pid>}:session`             | a session snapshot (string, expires)        |
 * | `<prefix>:{<nsp>}:log`                 | a namespace's recovery log (stream)         |
 * | `<prefix>:{<nsp>}:adapter`             | a namespace's adapter channel               |
 * | `<prefix>:{<uid>}:adapter-response#<nsp>` | answers to one app-node's requests       |
 * | `<prefix>:{<prefix>}:<name>`           | cluster-wide channels: `nodes-changed`, `rooms`, `rooms-sync`, `legacy#io`, `legacy#app` |
 * | `<prefix>#*`, `<prefix>-request#*`     | the redis-emitter's channels (its own scheme, not tagged) |
 */

/** A name relative to the prefix whose slot is chosen by `tag` rather than by the whole cluster. */
function tagged(tag: string, name: string): string {
  return `{${tag}}:${name}`;
}

/** A connection-state-recovery session, by its private id. */
export function sessionKey(pid: string): string {
  return tagged(pid, "session");
}

/** A namespace's recovery log: the packets a recovering client may have missed. */
export function logKey(nsp: string): string {
  return tagged(nsp, "log");
}

/** The channel every app-node's adapter of namespace `nsp` listens to. */
export function adapterChannel(nsp: string): string {
  return tagged(nsp, "adapter");
}

/** The channel on which app-node `uid` hears the answers to its requests in namespace `nsp`. */
export function responseChannel(nsp: string, uid: string): string {
  return tagged(uid, `adapter-response#${nsp}`);
}

/** Cluster-wide channels (untagged relative names: they land in the prefix's slot). */
export const CHANNELS = {
  /** A node left the registry. */
  nodesChanged: "nodes-changed",
  /** Room presence announcements of io-nodes. */
  presence: "rooms",
  /** An app-node asks an io-node for a presence snapshot. */
  presenceSync: "rooms-sync",
  /** The legacy API: app-nodes to every io-node. */
  legacyToIoNodes: "legacy#io",
  /** The legacy API: io-nodes to app-nodes. */
  legacyToAppNodes: "legacy#app",
} as const;

/** The glob patterns of the `@socket.io/redis-emitter` channels under `prefix` (its scheme, kept as is). */
export function emitterPatterns(prefix: string): { broadcasts: string; requests: string; requestPrefix: string } {
  return { broadcasts: `${prefix}#*`, requests: `${prefix}-request#*`, requestPrefix: `${prefix}-request#` };
}

/** The full Redis names of one cluster prefix. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /**
   * The Redis name of a relative one: a tagged name (`{tag}:name`) keeps its tag, an untagged one
   * is cluster-wide and gets the prefix as tag.
   *
   * @example
   * new RedisKeys("sioc").scope(sessionKey("abc")); // "sioc:{abc}:session"
   * new RedisKeys("sioc").scope("rooms");           // "sioc:{sioc}:rooms"
   */
  scope(name: string): string {
    return name.startsWith("{") ? `${this.prefix}:${name}` : `${this.prefix}:${tagged(this.prefix, name)}`;
  }

  /** A node's inbox stream. */
  inbox(nodeId: string): string {
    return this.scope(tagged(nodeId, "inbox"));
  }

  /** The node registry hash. */
  get nodes(): string {
    return this.scope("nodes");
  }

  /** The hash of direct-link addresses, by node id. */
  get links(): string {
    return this.scope("links");
  }

  /** The direct links' shared secret. */
  get linkSecret(): string {
    return this.scope("link-secret");
  }
}
