import { randomBytes } from "crypto";
import type { RedisConfig } from "./redis-client";
import { RedisTransport } from "./redis";
import { MemoryTransport } from "./memory";
import type { Transport } from "./transport";
import type { LinkAddressOptions } from "./direct/address";

/** What a node's own transport is made of, once its options are resolved. */
export interface TransportPlan {
  /** Redis (one, behind Sentinels, or a Cluster); none: the in-process memory transport. */
  redis?: RedisConfig;
  prefix: string;
  /** Direct links between nodes (`false`: relay batches stay on Redis streams). */
  directLinks: false | LinkAddressOptions;
}

/**
 * The transport a node creates (and closes) for itself: Redis when configured, else a private
 * in-process broker, so two embedded servers in one process stay apart as in Socket.IO.
 *
 * @example
 * const transport = createTransport({ redis: "redis://localhost:6379", prefix: "sioc", directLinks: {} });
 */
export function createTransport(plan: TransportPlan): Transport {
  if (plan.redis) return new RedisTransport(plan.redis, plan.prefix, { directLinks: plan.directLinks });
  return new MemoryTransport(`${plan.prefix}#${randomBytes(6).toString("hex")}`);
}
