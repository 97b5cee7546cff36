import { createServer, Server, Socket } from "net";
import { warn } from "../../log";
import { InboundContext, InboundLink } from "./inbound-link";
import { InboxSequencer } from "./sequencer";
import { LinkStats } from "./stats";

/** Connections not yet past their hello; more are closed at once (a flood of strangers). */
const MAX_STRANGERS = 256;

/**
 * The receiving end of direct links: a TCP server whose connections (`InboundLink`) feed the
 * sequencers of the nodes this process listens for. Keeps one connection per (target, sender):
 * a new hello replaces an old, half-dead one.
 */
export class LinkServer {
  private readonly server: Server;
  private readonly links = new Set<InboundLink>();
  private readonly byPeer = new Map<string, InboundLink>();
  private strangers = 0;
  private readonly context: InboundContext;

  constructor(secret: Buffer, sequencers: Map<string, InboxSequencer>, stats: LinkStats) {
    this.context = {
      secret,
      sequencers,
      stats,
      identified: (link, key) => {
        this.strangers--;
        const previous = this.byPeer.get(key);
        this.byPeer.set(key, link);
        previous?.socket.destroy();
      },
      closed: (link, key) => {
        this.links.delete(link);
        if (key === null) this.strangers--;
        else if (this.byPeer.get(key) === link) this.byPeer.delete(key);
      },
    };
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
    for (const link of this.links) link.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Connections past their hello, for tests that cut one. @internal */
  liveSockets(): Socket[] {
    return [...this.byPeer.values()].map((l) => l.socket);
  }

  private accept(socket: Socket): void {
    if (this.strangers >= MAX_STRANGERS) {
      warn("link-flood", `direct link: too many connections without hello, closing one from ${socket.remoteAddress}`);
      socket.destroy();
      return;
    }
    this.strangers++;
    this.links.add(new InboundLink(socket, this.context));
  }
}
