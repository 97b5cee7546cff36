import { ChildProcess, execFileSync, spawn } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import Redis from "ioredis";
import { freePort } from "./redis-server";

/**
 * The commands a socket.io-cluster node runs, as the README's ACL grants them: streams (inboxes,
 * the recovery log), pub/sub (fan-out), hashes (registry, link addresses), strings (sessions, the
 * link secret), and INFO for ioredis' ready check.
 */
export const CLUSTER_COMMANDS = [
  "xadd", "xread", "xrange", "xtrim", "pexpire", "del",
  "publish", "subscribe", "unsubscribe", "psubscribe", "punsubscribe",
  "hset", "hget", "hdel", "hgetall", "type", "set", "get",
  "ping", "quit", "info",
];

/** The ACL rules of a user confined to one cluster prefix (what the README tells operators). */
export function clusterAcl(prefix: string, commands = CLUSTER_COMMANDS): string[] {
  // the channels of @socket.io/redis-emitter: `<prefix>#…` and `<prefix>-request#…` (app-nodes listen with these patterns)
  const emitter = [`&${prefix}#*`, `&${prefix}-request#*`];
  return ["resetkeys", `~${prefix}:*`, "resetchannels", `&${prefix}:*`, ...emitter, "-@all", ...commands.map((c) => `+${c}`)];
}

export interface TlsRedisUser {
  name: string;
  password: string;
  /** ACL rules after `on >password`. */
  rules: string[];
}

/**
 * A redis-server of a test's own that only speaks TLS (`--port 0 --tls-port P`), with a CA and a
 * server certificate for 127.0.0.1 made by openssl in a temp dir, the default user disabled and
 * the given ACL users (plus `admin`, allowed everything, for the test's own checks).
 *
 * @example
 * const redis = await TlsRedis.start([{ name: "app", password: "pw", rules: clusterAcl("p") }]);
 * new Server({ cluster: { redis: redis.url("app", "pw"), prefix: "p" } }); // with NODE_EXTRA_CA_CERTS=redis.caFile
 */
export class TlsRedis {
  private proc?: ChildProcess;

  private constructor(readonly port: number, private readonly dir: string) {}

  static async start(users: TlsRedisUser[]): Promise<TlsRedis> {
    const redis = new TlsRedis(await freePort(), mkdtempSync(join(tmpdir(), "sioc-tls-")));
    redis.makeCertificates();
    const args = ["--port", "0", "--tls-port", String(redis.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    args.push("--tls-cert-file", redis.file("server.pem"), "--tls-key-file", redis.file("server.key"));
    args.push("--tls-ca-cert-file", redis.caFile, "--tls-auth-clients", "no");
    args.push("--user", "default", "off", "--user", "admin", "on", ">admin", "~*", "&*", "+@all");
    for (const u of users) args.push("--user", u.name, "on", `>${u.password}`, ...u.rules);
    redis.proc = spawn(process.env.REDIS_SERVER_BIN || "redis-server", args, { stdio: "ignore" });
    const probe = redis.admin({ lazyConnect: true, retryStrategy: () => 50 });
    probe.on("error", () => undefined);
    await probe.connect().catch(() => undefined);
    await probe.ping();
    probe.disconnect();
    return redis;
  }

  /** The CA certificate (PEM file) that signed the server's. */
  get caFile(): string {
    return this.file("ca.pem");
  }

  /** The CA certificate's PEM text, for ioredis' `tls: { ca }`. */
  get ca(): string {
    return readFileSync(this.caFile, "utf8");
  }

  /** `rediss://user:password@127.0.0.1:port`. */
  url(user: string, password: string): string {
    return `rediss://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}`;
  }

  /** A client as the unrestricted `admin` user. */
  admin(opts: Partial<import("ioredis").RedisOptions> = {}): Redis {
    return new Redis({ host: "127.0.0.1", port: this.port, username: "admin", password: "admin", tls: { ca: this.ca }, maxRetriesPerRequest: null, ...opts });
  }

  /** SIGKILL, then the certificates are removed. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        proc.once("exit", () => resolve());
        proc.kill("SIGKILL");
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private file(name: string): string {
    return join(this.dir, name);
  }

  private makeCertificates(): void {
    const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sioc test CA", "-keyout", this.file("ca.key"), "-out", this.caFile);
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", this.file("server.key"), "-out", this.file("server.csr"));
    writeFileSync(this.file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    ssl("x509", "-req", "-in", this.file("server.csr"), "-CA", this.caFile, "-CAkey", this.file("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", this.file("san.ext"), "-out", this.file("server.pem"));
  }
}
