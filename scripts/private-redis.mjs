/**
 * A private, throw-away redis-server for the repository's scripts (`npm test`, `npm run bench`):
 *
 *  - `ensureRedisServer()` finds `redis-server` (REDIS_SERVER_BIN, then PATH), and when it is missing
 *    installs the Debian package `redis-server` with apt-get when running as root (without letting
 *    the package start its system service); otherwise it stops with a message naming the package.
 *  - `PrivateRedis` starts one on a free 127.0.0.1 port with no persistence, in a temporary
 *    directory, and stops it again (`stop()`, or `killNow()` from an exit handler).
 *
 * Every message goes through the caller's `log` and `fail` (which must not return).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export function findExecutable(name) {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"]);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The path of `redis-server`, installing it when missing and running as root.
 * @param {{ log(msg: string): void, fail(msg: string): never, caller: string, purpose?: string }} io
 */
export function ensureRedisServer({ log, fail, caller, purpose = "The tests need" }) {
  let bin = process.env.REDIS_SERVER_BIN || findExecutable("redis-server");
  if (bin) return bin;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) {
    fail(
      `redis-server was not found on PATH. ${purpose} a real Redis server: install the Debian/Ubuntu package ` +
        '"redis-server" (sudo apt-get install -y redis-server), or set REDIS_SERVER_BIN to its path.',
    );
  }
  if (!findExecutable("apt-get")) {
    fail('redis-server was not found and apt-get is not available: install the package "redis-server" by hand.');
  }
  log('redis-server not found: installing the Debian package "redis-server" with apt-get (running as root)…');
  aptInstall(["redis-server"], { fail, caller });
  bin = findExecutable("redis-server");
  if (!bin) fail('the package "redis-server" was installed but no redis-server binary is on PATH.');
  return bin;
}

/**
 * Installs Debian packages with apt-get (as root), with service starts forbidden meanwhile: a
 * package's post-install script would otherwise start a system service (redis-server on 6379).
 * @param {string[]} packages
 * @param {{ fail(msg: string): never, caller: string }} io
 */
export function aptInstall(packages, { fail, caller }) {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) {
    try {
      writeFileSync(policy, `#!/bin/sh\n# written by socket.io-cluster's ${caller} during apt-get install\nexit 101\n`, { mode: 0o755 });
    } catch {
      // not fatal: at worst the package starts its service
    }
  }
  let failure;
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", ...packages]]) {
    const r = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (r.status !== 0) {
      failure = `"apt-get ${args.join(" ")}" failed (exit ${r.status ?? r.signal ?? r.error}); cannot install ${packages.join(", ")}.`;
      break;
    }
  }
  if (ownPolicy) rmSync(policy, { force: true });
  if (failure) fail(failure);
}

/**
 * Makes sure `openssl` is there (the TLS tests make their certificates with it), installing the
 * Debian package when missing and running as root.
 * @param {{ log(msg: string): void, fail(msg: string): never, caller: string }} io
 */
export function ensureOpenssl({ log, fail, caller }) {
  if (findExecutable("openssl")) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !findExecutable("apt-get")) {
    fail('openssl was not found on PATH; the TLS tests make their certificates with it: install the package "openssl".');
  }
  log('openssl not found: installing the Debian package "openssl" with apt-get (running as root)…');
  aptInstall(["openssl"], { fail, caller });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Sends PING with the inline protocol; resolves true on +PONG. */
export function ping(port) {
  return new Promise((resolve) => {
    const sock = connect({ port, host: "127.0.0.1" });
    let buf = "";
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n")) done(buf.startsWith("+PONG"));
    });
  });
}

/** One private redis-server process on a free port. */
export class PrivateRedis {
  /**
   * @param {{ log(msg: string): void, fail(msg: string): never, dirPrefix: string }} io
   */
  constructor({ log, fail, dirPrefix }) {
    this.log = log;
    this.fail = fail;
    this.dirPrefix = dirPrefix;
    this.child = undefined;
    this.dir = undefined;
    this.exited = Promise.resolve();
  }

  /** Starts redis-server `bin` (5 attempts on fresh ports); resolves with its port. */
  async start(bin) {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const port = await freePort();
      this.dir = mkdtempSync(join(tmpdir(), this.dirPrefix));
      const child = spawn(
        bin,
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir, "--loglevel", "warning"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      let exited = false;
      this.exited = new Promise((r) => child.once("exit", () => ((exited = true), r())));
      child.on("error", (err) => {
        output += String(err);
        exited = true;
      });
      this.child = child;
      const deadline = Date.now() + 10_000;
      while (!exited && Date.now() < deadline) {
        if (await ping(port)) {
          child.stdout.resume();
          child.stderr.resume();
          return port;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await this.stop();
      this.log(`redis-server on port ${port} did not start (attempt ${attempt}):\n${output.trim()}`);
    }
    this.fail("could not start redis-server.");
  }

  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and removes its directory. */
  async stop() {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killTimer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await this.exited;
      clearTimeout(killTimer);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** Last resort, synchronous (a process "exit" handler): never leave the server behind. */
  killNow() {
    if (this.child && this.child.exitCode === null) this.child.kill("SIGKILL");
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
