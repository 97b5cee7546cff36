/**
 * The fault suite's load on a topology: N clients spread over the io-nodes, each sending a numbered
 * `load` event (acked) every few ms, and a driver client whose numbered `tick` events make their
 * app-node broadcast the number to the clients' room. Afterwards it sums up what arrived.
 */
import * as SocketIoCluster from "../../src/frontend-node/client/socket.io-cluster";
import type { ClusterSocket } from "../../src/frontend-node/client/socket.io-cluster";
import { closeClient, onCleanup, waitFor } from "../helpers";
import { LoadClient } from "./load-client";
import type { Topology } from "./topology";
import type { StreamFigures, FaultFigures } from "./results";

export interface LoadOptions {
  /** @default 8 */
  clients?: number;
  /** ms between two `load` events of a client. @default 40 */
  eventEvery?: number;
  /** ms between two ticks of the driver. @default 20 */
  tickEvery?: number;
  /** io-node the driver prefers (index in the topology). @default the last one */
  driverOn?: number;
}

const ROOM = "stream";

export class Load {
  readonly clients: LoadClient[] = [];
  /** Ticks the driver has issued (1..issued). */
  issued = 0;
  private readonly driver: ClusterSocket;
  private tickTimer?: NodeJS.Timeout;
  private startedAt = 0;
  private stoppedAt = 0;

  /** Client `i` prefers io-node `i % ioNodes`, then the others in order. */
  private constructor(private readonly topo: Topology, private readonly opts: Required<LoadOptions>) {
    const addresses = topo.addresses;
    const rotate = (i: number) => addresses.map((_a, j) => addresses[(i + j) % addresses.length]);
    for (let i = 0; i < opts.clients; i++) {
      this.clients.push(new LoadClient(`c${i}`, rotate(i), ROOM, () => this.issued));
    }
    this.driver = SocketIoCluster.connect({
      servers: rotate(opts.driverOn),
      forceNew: true,
      transports: ["websocket"],
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
      randomizationFactor: 0,
    });
    onCleanup(() => closeClient(this.driver), "load driver");
  }

  /**
   * Connects every client and waits until each is in the room.
   *
   * @example
   * const load = await Load.connect(topo, { clients: 8 });
   * load.start(); await load.ticksReach(20); ... load.stop(); await load.settle();
   */
  static async connect(topo: Topology, opts: LoadOptions = {}): Promise<Load> {
    const load = new Load(topo, {
      clients: opts.clients ?? 8,
      eventEvery: opts.eventEvery ?? 40,
      tickEvery: opts.tickEvery ?? 20,
      driverOn: opts.driverOn ?? topo.ioNodes.length - 1,
    });
    await waitFor(() => load.driver.connected && load.clients.every((c) => c.inRoom), 10_000, "load clients to join");
    return load;
  }

  /** The app-node id that owns the driver's socket (whose death stops the stream until a re-home). */
  async driverOwner(): Promise<string> {
    return ((await this.driver.timeout(2_000).emitWithAck("whoami")) as { app: string }).app;
  }

  start(): void {
    this.startedAt = Date.now();
    for (const c of this.clients) c.start(this.opts.eventEvery);
    this.tickTimer = setInterval(() => {
      const n = ++this.issued;
      this.driver.emit("tick", ROOM, n, () => undefined);
    }, this.opts.tickEvery);
  }

  /** Resolves once every client (of `clients`) has received tick `n` or a later one. */
  async ticksReach(n: number, clients = this.clients, timeoutMs = 10_000): Promise<void> {
    await waitFor(
      () => clients.every((c) => c.highestTick >= n),
      timeoutMs,
      `every client to receive tick ${n} (lowest: ${Math.min(...clients.map((c) => c.highestTick))})`,
    );
  }

  /** Resolves once the stream has gone `more` ticks further than now, at every client of `clients`. */
  continues(more: number, clients = this.clients, timeoutMs?: number): Promise<void> {
    return this.ticksReach(this.issued + more, clients, timeoutMs);
  }

  stop(): void {
    this.stoppedAt = Date.now();
    clearInterval(this.tickTimer);
    for (const c of this.clients) c.stop();
  }

  /**
   * After `stop()`: waits (bounded) for the acks still on their way and for the last tick at every
   * client. What has not come by then is counted as lost, not waited for.
   */
  async settle(timeoutMs = 3_000): Promise<void> {
    const acked = () => this.clients.every((c) => c.acked.size >= c.sent);
    const ticked = () => this.clients.every((c) => c.highestTick >= this.issued);
    await waitFor(() => acked() && ticked(), timeoutMs, "acks and the last tick").catch(() => undefined);
  }

  /** What was sent and what arrived, in both directions, for every client or those of `clients`. */
  figures(fault: string, clients = this.clients): FaultFigures {
    const events = { sent: 0, acked: 0, delivered: 0, lost: 0, duplicated: 0, ackedNotHandled: 0, unackedAfterDisconnect: 0, pendingAtDisconnect: 0 };
    const broadcasts: StreamFigures = { sent: 0, delivered: 0, lost: 0, duplicated: 0, lostAfterRejoin: 0 };
    for (const c of clients) {
      events.sent += c.sent;
      events.acked += c.acked.size;
      events.pendingAtDisconnect += c.pendingAtDisconnect;
      for (let n = 1; n <= c.sent; n++) {
        const runs = this.topo.handlerRuns.get(`${c.key} ${n}`) ?? 0;
        if (n > c.sentAtDisconnect && !c.acked.has(n)) events.unackedAfterDisconnect++;
        if (runs > 0) events.delivered++;
        else if (c.acked.has(n)) events.ackedNotHandled++;
        if (runs > 1) events.duplicated += runs - 1;
      }
      broadcasts.sent += this.issued;
      for (let n = 1; n <= this.issued; n++) {
        const got = c.ticks.get(n) ?? 0;
        if (got > 0) broadcasts.delivered++;
        else if (n >= c.inRoomSinceTick) broadcasts.lostAfterRejoin++;
        if (got > 1) broadcasts.duplicated += got - 1;
      }
    }
    events.lost = events.sent - events.delivered;
    broadcasts.lost = broadcasts.sent - broadcasts.delivered;
    const sum = (f: (c: LoadClient) => number) => clients.reduce((total, c) => total + f(c), 0);
    return {
      fault,
      clients: clients.length,
      events,
      broadcasts,
      clientsDisconnected: clients.filter((c) => c.disconnects > 0).length,
      disconnects: sum((c) => c.disconnects),
      reconnects: sum((c) => c.reconnects),
      recoveries: sum((c) => c.recoveries),
      maxGapMs: Math.max(...clients.map((c) => c.maxGapMs)),
      maxAckMs: Math.max(...clients.map((c) => c.maxAckMs)),
      loadMs: this.stoppedAt - this.startedAt,
    };
  }
}
