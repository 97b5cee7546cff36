import { CodecError, decodeBatch } from "../protocol/codec";
import { withoutPrefix } from "../errors";
import { Batch } from "../protocol/frame";
import { warn } from "../log";
import { describeFrames, traceBatch } from "../protocol/packet-trace";
import { Transport } from "../transport/transport";

/**
 * Reads this node's inbox and hands each well-formed batch to `onBatch`. Anything that does not
 * decode (another protocol version, garbage written to the key) is logged and dropped.
 */
export function listenInbox(
  transport: Transport,
  nodeId: string,
  onBatch: (batch: Batch) => void,
): Promise<void> {
  return transport.listen(nodeId, (payload) => {
    let batch: Batch;
    try {
      batch = decodeBatch(payload);
    } catch (err) {
      const why = err instanceof CodecError ? withoutPrefix(err.message) : String(err);
      warn("bad-batch", `node ${nodeId} dropped an undecodable relay batch (${payload.length} bytes): ${why}`);
      return;
    }
    if (traceBatch.enabled) {
      traceBatch("in %s → %s batch %d (epoch %d) %dB: %s", batch.from, nodeId, batch.seq, batch.epoch, payload.length, describeFrames(batch.frames));
    }
    onBatch(batch);
  });
}
