import { randomBytes } from "crypto";
import { clearTimeout, setTimeout } from "../clock";

/** What a question to the other app-nodes does with their answers. */
export interface PeerRequestHandlers {
  answer(data: any): void;
  complete(): void;
  timeout(): void;
}

/**
 * A question this app-node asked the others: done when as many app-nodes answered as there were
 * others when it was asked, failed when `requestsTimeout` passes first. As with the redis-adapter,
 * an app-node that dies while the request waits still counts: the request then ends in the timeout.
 */
interface PeerRequest extends PeerRequestHandlers {
  expected: number;
  answered: Set<string>;
  timer: NodeJS.Timeout;
}

/**
 * An adapter's own requests to the other app-nodes, by request id (socket.io-adapter keeps its
 * own): `allRooms()`, `serverSideEmit` with an ack, recovery claims.
 *
 * @example
 * const requestId = requests.ask(2, { answer, complete, timeout }, 5000);
 * publish({ type: ALL_ROOMS, data: { requestId } });
 * // on each response: if (!requests.answered(response.uid, response.data)) super.onResponse(response);
 */
export class PeerRequests {
  private readonly pending = new Map<string, PeerRequest>();

  /** Opens a request to `expected` other app-nodes; returns its id, to be sent with the question. */
  ask(expected: number, handlers: PeerRequestHandlers, timeoutMs: number): string {
    const requestId = randomBytes(8).toString("hex");
    const timer = setTimeout(() => {
      this.pending.delete(requestId);
      handlers.timeout();
    }, timeoutMs);
    this.pending.set(requestId, { expected, answered: new Set(), timer, ...handlers });
    return requestId;
  }

  /** Ends a request before every answer is in (its handlers are not called anymore). */
  finish(requestId: string): void {
    const request = this.pending.get(requestId);
    if (request) clearTimeout(request.timer);
    this.pending.delete(requestId);
  }

  /**
   * Takes an answer of app-node `uid`; false when `data` answers none of these requests (it is
   * socket.io-adapter's then).
   */
  answered(uid: string, data: { requestId?: unknown } | undefined): boolean {
    const request = typeof data?.requestId === "string" ? this.pending.get(data.requestId) : undefined;
    if (!request) return false;
    // one answer per app-node: a repeated one must not stand in for a silent peer
    if (request.answered.has(uid)) return true;
    request.answered.add(uid);
    request.answer(data);
    if (request.answered.size < request.expected) return true;
    clearTimeout(request.timer);
    this.pending.delete(data!.requestId as string);
    request.complete();
    return true;
  }
}
