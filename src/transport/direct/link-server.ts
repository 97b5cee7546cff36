import { createServer, Server, Socket } from "net";
import { timingSafeEqual } from "crypto";
import { debug as makeDebug, warn } from "../../log";
import { InboxSequencer } from "./sequencer";
import { LinkStats } from "./stats";
import {
  DATA_SEQ_BYTES,
  decodeHello,
  encodeSeqFrame,
  FrameReader,
  FrameType,
  MAX_FRAME_BYTES,
  MAX_HELLO_BYTES,
} from "./wire";

const debug = makeDebug("transport:link-server");

/** A peer that has not said a valid hello within this long is closed. */
const HELLO_TIMEOUT_MS = 10_000;
/** Connections not yet past their hello; more are closed at once (a flood of strangers). */
const MAX_STRANGERS = 256;
/** TCP keep-alive probes start after this much silence. */
export const KEEPALIVE_MS = 15_000;
/** Receipts are cumulative: one per connection per this interval at most. */
export const RECEIPT_INTERVAL_MS = 200;

/**
 * The receiving end of direct links: a TCP server that takes a connection only from a peer that
 * knows the cluster secret and names a node this process listens for, feeds its payloads to that
 * node's sequencer and sends back cumulative receipts. Anything else on the port is closed and
 * logged; nothing a peer sends can throw out of here.
 */
export class LinkServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** The live connection of each (target, sender): a new hello replaces an old half-dead one. */
  private readonly byPeer = new Map<string, Socket>();
  private strangers = 0;

  constructor(
    private readonly secret: Buffer,
    private readonly sequencers: Map<string, InboxSequencer>,
    private readonly stats: LinkStats,
  ) {
    this.server = createServer((socket) => this.accept(socket));
    this.server.on("error", (err) => warn("link-server", `direct link server: ${err.message}`));
  }

  /** Binds the server; resolves with the port it listens on. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen(port, host, () => {
        this.server.off("error", onError);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  /** Stops accepting and closes every connection (peers replay what was not receipted). */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Connections past their hello, for tests that cut one. @internal */
  liveSockets(): Socket[] {
    return [...this.byPeer.values()];
  }

  private accept(socket: Socket): void {
    if (this.strangers >= MAX_STRANGERS) {
      warn("link-flood", `direct link: too many connections without hello, closing one from ${socket.remoteAddress}`);
      socket.destroy();
      return;
    }
    this.strangers++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    // a peer whose machine vanished is noticed by the kernel, not by a timer of ours
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const reader = new FrameReader(MAX_HELLO_BYTES);
    let peer: { key: string; from: string; epoch: number; sequencer: InboxSequencer } | null = null;
    let receipted = 0;
    let delivered = 0;
    let receiptTimer: NodeJS.Timeout | undefined;
    const helloTimer = setTimeout(() => reject("no hello in time"), HELLO_TIMEOUT_MS);

    const reject = (why: string) => {
      this.stats.rejected++;
      warn("link-rejected", `direct link from ${socket.remoteAddress}:${socket.remotePort} closed: ${why}`);
      socket.destroy();
    };
    const sendReceipt = () => {
      receiptTimer = undefined;
      if (delivered <= receipted || socket.destroyed) return;
      receipted = delivered;
      socket.write(encodeSeqFrame(FrameType.RECEIPT, delivered));
    };
    const onHello = (body: Buffer): boolean => {
      const hello = decodeHello(body);
      if (!hello) return fail("malformed hello");
      if (hello.secret.length !== this.secret.length || !timingSafeEqual(hello.secret, this.secret)) {
        return fail("wrong cluster secret");
      }
      const sequencer = this.sequencers.get(hello.target);
      if (!sequencer) return fail(`hello for node ${hello.target}, which does not listen here`);
      const from = hello.from.toString("hex");
      const key = `${hello.target}|${from}`;
      this.byPeer.get(key)?.destroy();
      this.byPeer.set(key, socket);
      peer = { key, from, epoch: hello.epoch, sequencer };
      clearTimeout(helloTimer);
      this.strangers--;
      reader.maxFrame = MAX_FRAME_BYTES;
      receipted = delivered = sequencer.lastDelivered(from, hello.epoch);
      socket.write(encodeSeqFrame(FrameType.WELCOME, delivered));
      debug("link from %s to %s (epoch %d) open, last delivered %d", from, hello.target, hello.epoch, delivered);
      return true;
    };
    const fail = (why: string): false => {
      reject(why);
      return false;
    };
    const onFrame = (type: number, body: Buffer): boolean => {
      if (!peer) return type === FrameType.HELLO ? onHello(body) : fail(`frame of type ${type} before hello`);
      if (type !== FrameType.DATA) return fail(`unexpected frame of type ${type}`);
      if (body.length < DATA_SEQ_BYTES) return fail("short data frame");
      this.stats.directReceived++;
      const seq = body.readUIntBE(0, DATA_SEQ_BYTES);
      delivered = peer.sequencer.accept(peer.from, peer.epoch, seq, body.subarray(DATA_SEQ_BYTES));
      if (delivered > receipted && !receiptTimer) receiptTimer = setTimeout(sendReceipt, RECEIPT_INTERVAL_MS);
      return !socket.destroyed;
    };

    socket.on("data", (chunk: Buffer) => {
      if (socket.destroyed) return;
      const error = reader.push(chunk, onFrame);
      if (error) reject(error);
    });
    socket.on("error", (err) => debug("link socket error: %s", err.message));
    socket.on("close", () => {
      clearTimeout(helloTimer);
      clearTimeout(receiptTimer);
      this.sockets.delete(socket);
      if (!peer) this.strangers--;
      else if (this.byPeer.get(peer.key) === socket) this.byPeer.delete(peer.key);
    });
  }
}
