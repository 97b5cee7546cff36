/** Counters of one transport's direct links, for tests and status pages (cheap: plain increments). */
export interface LinkStats {
  /** Payloads written to a direct link (replays included). */
  directSent: number;
  /** Payloads sent as stream entries by a link (no address, link down, directLinks off on the peer). */
  streamSent: number;
  /** DATA frames read from direct links (duplicates included). */
  directReceived: number;
  /** Connections to our link server closed for a bad hello or a malformed frame. */
  rejected: number;
  /** Times a sender's link fell back to the stream. */
  fallbacks: number;
}

export function newLinkStats(): LinkStats {
  return { directSent: 0, streamSent: 0, directReceived: 0, rejected: 0, fallbacks: 0 };
}
