/**
 * One fault case from start to figures: a topology of real processes, the load, the fault while
 * the load runs, the stream going on afterwards, then a bounded wait for stragglers and the sums.
 * Every case of test/faults is this with a different `fault`.
 */
import { expect } from "chai";
import { onCleanup, redisUrl } from "../helpers";
import { OwnRedis } from "../helpers/redis-server";
import { Load, LoadOptions } from "./load";
import type { LoadClient } from "./load-client";
import { FaultFigures, record } from "./results";
import { TIMINGS, Topology, TopologyOptions } from "./topology";

export interface FaultCase {
  /** The row's name in the reliability table. */
  name: string;
  /** @default the test Redis */
  redis?: string;
  /** @default { RECOVERY: "1" } */
  appEnv?: TopologyOptions["appEnv"];
  load?: LoadOptions;
  /** Ticks every client receives before the fault. @default 15 */
  warmTicks?: number;
  /** Ticks every client must receive after the fault (the stream goes on). @default 50 */
  afterTicks?: number;
  /**
   * The clients that must see the stream go on `afterTicks` after the fault (the load still runs
   * that long for the others). @default every client
   */
  streamAt?: (load: Load) => LoadClient[];
  /** The fault; resolves once it is over (the faulty part is back, or gone for good). */
  fault(topo: Topology, load: Load): Promise<void>;
}

export interface FaultRun {
  topo: Topology;
  load: Load;
  figures: FaultFigures;
}

/**
 * Runs a fault case and records its figures in test/faults/results.json.
 *
 * @example
 * const { figures } = await runFault({ name: "app-node SIGKILL", fault: (topo) => topo.stopApp(topo.apps[0], "SIGKILL") });
 * expect(figures.events.lost).to.equal(0);
 */
export async function runFault(c: FaultCase): Promise<FaultRun> {
  const topo = await Topology.start({ redis: c.redis ?? redisUrl(), appEnv: c.appEnv ?? { RECOVERY: "1" } });
  const load = await Load.connect(topo, c.load);
  load.start();
  await load.ticksReach(c.warmTicks ?? 15);
  await c.fault(topo, load);
  // a stream that does not go on is a figure of the case (the test asserts it), not a crash
  const resumed = await load.continues(c.afterTicks ?? 50, c.streamAt?.(load)).then(
    () => true,
    () => false,
  );
  load.stop();
  await load.settle();
  const figures = { ...load.figures(c.name), streamResumed: resumed };
  record(figures);
  return { topo, load, figures };
}

/**
 * The most extra handler runs an at-least-once fault may cause: every client event sent while a
 * death goes unnoticed (`nodeTimeout + heartbeatInterval`) handled twice.
 */
export function duplicateBound(figures: FaultFigures, eventEvery = 40): number {
  return figures.clients * Math.ceil((TIMINGS.nodeTimeout + TIMINGS.heartbeat) / eventEvery);
}

/**
 * What a fault the product promises to absorb must look like: the stream went on, every client
 * event was handled and acked, extra handler runs at most `maxDuplicates`, every broadcast
 * delivered, and no client saw a disconnect.
 *
 * @example
 * expectNothingLost(figures, duplicateBound(figures));
 */
export function expectNothingLost(figures: FaultFigures, maxDuplicates: number): void {
  expect(figures.streamResumed, "the broadcast stream went on at every client").to.equal(true);
  expect(figures.events.lost, "client events never handled").to.equal(0);
  expect(figures.events.acked, "client events acked").to.equal(figures.events.sent);
  expect(figures.events.duplicated, "extra handler runs").to.be.at.most(maxDuplicates);
  expect(figures.broadcasts.lost, "broadcast deliveries lost").to.equal(0);
  expect(figures.clientsDisconnected, "clients that saw a disconnect").to.equal(0);
}

/** A redis-server of the case's own (to pause or restart), killed after the test. */
export async function ownRedis(): Promise<OwnRedis> {
  const redis = await OwnRedis.start();
  onCleanup(() => redis.kill(), "own redis-server");
  return redis;
}
