/**
 * Defaults in one place (src/defaults.ts): options resolution falls back to them, the environment
 * stands between, the JSDoc `@default` tags, the CLI's help and the README's options table say
 * the same. No Redis needed.
 */
import { expect } from "chai";
import { readFileSync } from "fs";
import { Server as EngineServer } from "engine.io";
import { CLUSTER_DEFAULTS, CLUSTER_ENV, CLUSTER_KEYS, FRONTEND_DEFAULTS, IO_NODE_DEFAULTS } from "../src";
import { resolveClusterOptions, resolveDirectLinks, ResolvedClusterOptions } from "../src/options";
import { stripClusterOptions } from "../src/io-node/io-node-options";
import { IO_NODE_HELP } from "../src/cli/io-node-command";
import { FRONTEND_HELP } from "../src/cli/frontend-command";
import { DEV_HELP } from "../src/cli/dev-command";
import { defaultTagProblem, envNames, formatDefault, readOptionDocs, README, withOptionsTable } from "../scripts/options-table";
import { onCleanup } from "./helpers";

/** Every SOCKET_IO_CLUSTER_* variable of CLUSTER_ENV. */
const ENV_NAMES = CLUSTER_KEYS.flatMap((k) => envNames(k));

/** Runs `fn` with exactly `env` of the cluster's variables set, then puts the environment back. */
function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  const saved = new Map(ENV_NAMES.map((n) => [n, process.env[n]]));
  for (const n of ENV_NAMES) delete process.env[n];
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  }
}

/** resolveClusterOptions, its transport closed after the test. */
function resolve(opts: Parameters<typeof resolveClusterOptions>[0] = {}): ResolvedClusterOptions {
  const resolved = resolveClusterOptions(opts);
  onCleanup(() => resolved.transport.close(), "transport");
  return resolved;
}

describe("defaults", () => {
  describe("options resolution", () => {
    it("falls back to CLUSTER_DEFAULTS when neither option nor environment is set", () => {
      const r = withEnv({}, () => resolve());
      expect(r.transport.kind).to.equal("memory");
      expect(r.prefix).to.equal(CLUSTER_DEFAULTS.prefix);
      expect(r.localFastPath).to.equal(CLUSTER_DEFAULTS.localFastPath);
      expect(r.ownerStrategy).to.equal(CLUSTER_DEFAULTS.ownerStrategy);
      expect(r.heartbeatInterval).to.equal(CLUSTER_DEFAULTS.heartbeatInterval);
      expect(r.nodeTimeout).to.equal(CLUSTER_DEFAULTS.nodeTimeout);
      expect(r.requestsTimeout).to.equal(CLUSTER_DEFAULTS.requestsTimeout);
      expect(r.rebalance).to.deep.equal(CLUSTER_DEFAULTS.rebalance);
      expect(r.metrics).to.equal(undefined);
      expect(withEnv({}, () => resolveDirectLinks({}))).to.deep.equal({ ...CLUSTER_DEFAULTS.link, advertise: undefined });
    });

    it("takes the environment over the default, and the option over the environment", () => {
      const env = {
        [CLUSTER_ENV.prefix]: "from-env",
        [CLUSTER_ENV.heartbeatInterval]: "200",
        [CLUSTER_ENV.nodeTimeout]: "900",
        [CLUSTER_ENV.localFastPath]: "0",
        [CLUSTER_ENV.rebalance]: "7",
        [CLUSTER_ENV.directLinks]: "1",
        [CLUSTER_ENV.link.host]: "0.0.0.0",
        [CLUSTER_ENV.link.port]: "7100",
        [CLUSTER_ENV.link.advertise]: "10.1.1.1",
      };
      const fromEnv = withEnv(env, () => resolve());
      expect(fromEnv).to.include({ prefix: "from-env", heartbeatInterval: 200, nodeTimeout: 900, localFastPath: false });
      expect(fromEnv.rebalance).to.deep.equal({ maxPerSecond: 7 });
      expect(withEnv(env, () => resolveDirectLinks({}))).to.deep.equal({ host: "0.0.0.0", port: 7100, advertise: "10.1.1.1" });
      expect(withEnv({ [CLUSTER_ENV.directLinks]: "0" }, () => resolveDirectLinks({}))).to.equal(false);
      expect(withEnv({ [CLUSTER_ENV.rebalance]: "0" }, () => resolve()).rebalance).to.equal(false);

      const given = { prefix: "from-option", heartbeatInterval: 300, nodeTimeout: 1200, localFastPath: true, rebalance: { maxPerSecond: 3 } };
      const fromOption = withEnv(env, () => resolve(given));
      expect(fromOption).to.include({ prefix: "from-option", heartbeatInterval: 300, nodeTimeout: 1200, localFastPath: true });
      expect(fromOption.rebalance).to.deep.equal({ maxPerSecond: 3 });
      const link = { host: "127.0.0.2", port: 7200, advertise: "10.2.2.2" };
      expect(withEnv(env, () => resolveDirectLinks({ link }))).to.deep.equal(link);
      expect(withEnv(env, () => resolveDirectLinks({ directLinks: false }))).to.equal(false);
    });
  });

  it("CLUSTER_KEYS are every option of ClusterOptions, and what stripClusterOptions strips (with `cluster`)", () => {
    expect([...CLUSTER_KEYS].sort()).to.deep.equal(readOptionDocs("ClusterOptions").map((d) => d.name).sort());
    const engine = { path: "/x", pingInterval: 1, cors: { origin: "*" } };
    const bag: Record<string, unknown> = { ...engine, cluster: {} };
    for (const k of CLUSTER_KEYS) bag[k] = "anything";
    expect(stripClusterOptions(bag)).to.deep.equal(engine);
  });

  it("each @default tag of ClusterOptions starts with its CLUSTER_DEFAULTS value and names its CLUSTER_ENV variables", () => {
    const docs = readOptionDocs("ClusterOptions");
    expect(docs.map(defaultTagProblem).filter(Boolean)).to.deep.equal([]);
    for (const doc of docs) {
      for (const name of envNames(doc.name)) expect(doc.defaultTag, doc.name).to.include(name);
    }
  });

  it("the @default tags of RebalanceOptions, IoNodeOptions and FrontendOptions agree with the defaults", () => {
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ["RebalanceOptions", "src/options.ts", CLUSTER_DEFAULTS.rebalance],
      ["IoNodeOptions", "src/io-node/io-node-options.ts", IO_NODE_DEFAULTS],
      ["FrontendOptions", "src/frontend-node/frontend-node.ts", FRONTEND_DEFAULTS],
    ];
    for (const [name, file, defaults] of cases) {
      const docs = readOptionDocs(name, file);
      expect(docs.map((d) => d.name).filter((k) => !(k in defaults)), `${name} members missing from its defaults`).to.deep.equal([]);
      for (const doc of docs) {
        const value = defaults[doc.name];
        const expected = value === undefined ? "none" : formatDefault(value);
        const tag = doc.defaultTag ?? "";
        expect(tag.startsWith(expected), `@default of ${name}.${doc.name} should start with ${expected}, got "${tag}"`).to.equal(true);
      }
    }
  });

  it("IO_NODE_DEFAULTS states Engine.IO's own defaults", () => {
    const engine = new EngineServer();
    onCleanup(() => engine.close(), "engine");
    const { maxHttpBufferSize, pingInterval, pingTimeout, transports } = engine.opts;
    expect({ maxHttpBufferSize, pingInterval, pingTimeout, transports }).to.deep.equal({
      maxHttpBufferSize: IO_NODE_DEFAULTS.maxHttpBufferSize,
      pingInterval: IO_NODE_DEFAULTS.pingInterval,
      pingTimeout: IO_NODE_DEFAULTS.pingTimeout,
      transports: IO_NODE_DEFAULTS.transports,
    });
  });

  it("the CLI's help states the defaults", () => {
    const line = (help: string, flag: string) => help.split("\n").find((l) => l.trimStart().startsWith(flag)) ?? "";
    const prefix = `(default: $${CLUSTER_ENV.prefix} or "${CLUSTER_DEFAULTS.prefix}")`;
    for (const help of [IO_NODE_HELP, FRONTEND_HELP, DEV_HELP]) {
      expect(line(help, "--prefix")).to.include(prefix);
      expect(help).to.include(`$${CLUSTER_ENV.redis}`).and.include(`$${CLUSTER_ENV.metricsPort}`);
    }
    expect(line(IO_NODE_HELP, "--path")).to.include(`(default: ${IO_NODE_DEFAULTS.path})`);
    expect(line(IO_NODE_HELP, "--transports")).to.include(`(default: ${IO_NODE_DEFAULTS.transports.join(",")})`);
    expect(line(IO_NODE_HELP, "--max-http-buffer-size")).to.include(`(default: ${IO_NODE_DEFAULTS.maxHttpBufferSize})`);
    expect(line(IO_NODE_HELP, "--ping-interval")).to.include(`(default: ${IO_NODE_DEFAULTS.pingInterval})`);
    expect(line(IO_NODE_HELP, "--ping-timeout")).to.include(`(default: ${IO_NODE_DEFAULTS.pingTimeout})`);
    expect(line(FRONTEND_HELP, "--config-url")).to.include(`(default: ${FRONTEND_DEFAULTS.basePath}config.js)`);
  });

  it("the README's options table is what `npm run options-table` writes", () => {
    const readme = readFileSync(README, "utf8");
    expect(withOptionsTable(readme) === readme, "README.md is out of date: run `npm run options-table`").to.equal(true);
  });
});
