/** Counters of one transport, read by the metrics at scrape time (cheap: plain increments). */
export interface TransportStats {
  /** Relay batches handed to the transport for another node's inbox. */
  batchesSent: number;
  /** Bytes of those batches, encoded. */
  batchBytesSent: number;
  /** `error` events of the Redis connections (none for the in-memory transport). */
  redisErrors: number;
  /** Times a Redis connection started to reconnect. */
  redisReconnects: number;
}

export function newTransportStats(): TransportStats {
  return { batchesSent: 0, batchBytesSent: 0, redisErrors: 0, redisReconnects: 0 };
}
