/**
 * One client of the fault suite's load: a socket.io-client socket made by the cluster client helper
 * (so that it fails over to another io-node), sending numbered `load` events with acks and counting
 * what it receives of the numbered `tick` broadcast.
 */
import * as SocketIoCluster from "../../src/frontend-node/client/socket.io-cluster";
import type { ClusterSocket } from "../../src/frontend-node/client/socket.io-cluster";
import { closeClient, onCleanup } from "../helpers";

export class LoadClient {
  readonly socket: ClusterSocket;
  /** Numbered `load` events emitted so far (1..sent). */
  sent = 0;
  readonly acked = new Set<number>();
  /** Longest time from a `load` event to its ack (ms). */
  maxAckMs = 0;
  /** tick number -> how many times it arrived. */
  readonly ticks = new Map<number, number>();
  /** Highest tick number received. */
  highestTick = 0;
  /** Longest time between two ticks received while the load ran (ms). */
  maxGapMs = 0;
  disconnects = 0;
  /** At the last disconnect: events sent so far, and how many of them still waited for their ack. */
  sentAtDisconnect = 0;
  pendingAtDisconnect = 0;
  /** Connections after the first, and how many of them restored the session. */
  reconnects = 0;
  recoveries = 0;
  /** The socket has joined the room (once per new socket; a restored session is in it already). */
  inRoom = false;
  /**
   * The first tick issued after the client last (re)joined the room: earlier ones may
   * legitimately miss a socket that was not in the room yet.
   */
  inRoomSinceTick = 0;
  /** What the client saw, in order ("<tick>@<offset>", DISC, CONN): a failing figure's explanation. */
  readonly trail: string[] = [];
  private connections = 0;
  private lastTickAt = 0;
  private timer?: NodeJS.Timeout;

  /**
   * @param servers io-nodes (host:port), the first preferred
   * @param issuedTicks how many ticks the driver has issued so far (read when the client (re)joins)
   */
  constructor(
    readonly key: string,
    servers: string[],
    readonly room: string,
    private readonly issuedTicks: () => number,
  ) {
    this.socket = SocketIoCluster.connect({
      servers,
      forceNew: true,
      transports: ["websocket"],
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
      randomizationFactor: 0,
      avoidFailedFor: 60_000,
    });
    onCleanup(() => closeClient(this.socket), `load client ${key}`);
    this.socket.on("tick", (n: number, offset?: string) => this.onTick(n, offset));
    this.socket.on("disconnect", () => {
      this.trail.push("DISC");
      this.disconnects++;
      this.sentAtDisconnect = this.sent;
      this.pendingAtDisconnect = this.sent - this.acked.size;
    });
    this.socket.on("connect", () => this.onConnect());
  }

  private onConnect(): void {
    this.trail.push(`CONN rec=${this.socket.recovered}`);
    if (this.connections++ > 0) this.reconnects++;
    if (this.socket.recovered) {
      this.recoveries++;
      return;
    }
    // a new socket (no session restored) is in no room: join again, as an app would
    this.inRoom = false;
    const from = this.issuedTicks();
    this.socket.emit("join", this.room, () => {
      this.inRoom = true;
      this.inRoomSinceTick = from + 1;
    });
  }

  private onTick(n: number, offset?: string): void {
    this.trail.push(`${n}@${offset}`);
    const now = Date.now();
    if (this.lastTickAt > 0 && this.timer) this.maxGapMs = Math.max(this.maxGapMs, now - this.lastTickAt);
    this.lastTickAt = now;
    this.ticks.set(n, (this.ticks.get(n) ?? 0) + 1);
    if (n > this.highestTick) this.highestTick = n;
  }

  /** Emits a numbered `load` event every `everyMs`. */
  start(everyMs: number): void {
    this.lastTickAt = 0;
    this.timer = setInterval(() => this.send(), everyMs);
  }

  stop(): void {
    // a stream that stopped reaching this client is a gap until now, not no gap at all
    if (this.lastTickAt > 0) this.maxGapMs = Math.max(this.maxGapMs, Date.now() - this.lastTickAt);
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private send(): void {
    const n = ++this.sent;
    const at = Date.now();
    this.socket.emit("load", this.key, n, () => {
      this.acked.add(n);
      this.maxAckMs = Math.max(this.maxAckMs, Date.now() - at);
    });
  }
}
