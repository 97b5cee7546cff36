import { ChildProcess, spawn } from "child_process";
import { createServer as createNetServer } from "net";
import Redis from "ioredis";

/**
 * A redis-server of a test's own (not the shared one `npm test` starts), so that it can be paused,
 * killed and started again, empty, on the same port. No persistence.
 *
 * @example
 * const redis = await OwnRedis.start();
 * redis.pause(); // ... redis.resume();
 * await redis.kill(); await redis.restart(); // same port, empty
 * const replica = await OwnRedis.start(["--replicaof", "127.0.0.1", String(redis.port)]);
 */
export class OwnRedis {
  private proc?: ChildProcess;

  /**
   * @param args more redis-server arguments (`--replicaof host port`, `--sentinel`...)
   * @param configFile a config file to load first (Sentinel needs one it can rewrite)
   */
  constructor(readonly port: number, private readonly args: string[] = [], private readonly configFile?: string) {}

  /** A redis-server on a free port, answering PING. */
  static async start(args: string[] = [], configFile?: string): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), args, configFile);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server (empty) on this port and resolves once it answers PING. */
  async restart(): Promise<void> {
    const bin = process.env.REDIS_SERVER_BIN || "redis-server";
    const config = this.configFile ? [this.configFile] : [];
    const args = [...config, "--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...this.args];
    this.proc = spawn(bin, args, { stdio: "ignore" });
    const probe = new Redis(this.port, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
    probe.on("error", () => undefined);
    await probe.connect().catch(() => undefined);
    await probe.ping();
    probe.disconnect();
  }

  /** SIGSTOP: the server keeps its connections open but answers nothing. */
  pause(): void {
    this.proc?.kill("SIGSTOP");
  }

  /** SIGCONT after `pause()`. */
  resume(): void {
    this.proc?.kill("SIGCONT");
  }

  /** SIGKILL (which also ends a paused server), resolved once the process is gone. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGKILL");
    });
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
