/**
 * The bench's arithmetic, without running it: ratios are taken run by run against the same run's
 * reference figure and then the median; flags parse as documented. (The bench itself is not part
 * of npm test: `npm run bench -- --quick` is its smoke run.)
 */
import { expect } from "chai";
import { ConfigError, parseConfig } from "../bench/config";
import { buildRows } from "../bench/report";
import type { WorkloadResult } from "../bench/results";
import { TARGETS } from "../bench/targets";

function echo(target: string, run: number, value: number, cpu: number, p99: number): WorkloadResult {
  return {
    workload: "echo",
    target,
    run,
    value,
    unit: "round trips/s",
    count: 1000,
    elapsedMs: 1000,
    latency: { count: 1000, mean: 1, p50: 1, p90: 2, p99, max: p99 },
    cpu: { total: cpu, byRole: { "io-node": cpu / 2, "app-node": cpu / 2 }, clients: 5 },
    notes: [],
  };
}

describe("bench report", () => {
  it("divides each run by the same run's baseline, then takes the median", () => {
    const results = [
      echo("socket.io", 0, 100, 10, 2),
      echo("socket.io", 1, 50, 20, 4),
      echo("socket.io", 2, 100, 10, 2),
      echo("split-1+1", 0, 80, 15, 3),
      echo("split-1+1", 1, 45, 30, 5),
      echo("split-1+1", 2, 60, 20, 2.5),
    ];
    const rows = buildRows(results, [], TARGETS, ["echo"]);
    const split = rows.find((r) => r.target === "split-1+1")!;
    // run ratios 0.8, 0.9, 0.6: median 0.8 (the ratio of the medians would be 60/100)
    expect(split.vsPlain).to.equal(0.8);
    expect(split.value).to.equal(60);
    // CPU ratios 1.5, 1.5, 2
    expect(split.cpuVsPlain).to.equal(1.5);
    expect(split.cpuByRole).to.deep.equal({ "io-node": 10, "app-node": 10 });
    // p99 differences +1, +1, +0.5
    expect(split.p99DeltaPlain).to.equal(1);
    expect(Number.isNaN(split.vsAdapter)).to.equal(true);
  });

  it("parses the flags it documents", () => {
    const quick = parseConfig(["--quick", "--targets", "socket.io,split-2+2", "--workloads=echo"], {}, "out.json");
    expect(quick.runs).to.equal(1);
    expect(quick.targets).to.deep.equal(["socket.io", "split-2+2"]);
    expect(quick.workloads).to.deep.equal(["echo"]);
    expect(parseConfig(["--repeat", "5"], {}, "").runs).to.equal(5);
    expect(parseConfig([], { BENCH_RUNS: "4" }, "").runs).to.equal(4);
    expect(() => parseConfig(["--nope", "1"], {}, "")).to.throw(ConfigError);
    expect(() => parseConfig(["--targets", "cluster-split"], {}, "")).to.throw(ConfigError);
  });
});
