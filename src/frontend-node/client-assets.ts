import { readFileSync } from "fs";
import { dirname, join } from "path";
import { debug as makeDebug } from "../log";
import { makeAsset, StaticAsset } from "./static-asset";

const debug = makeDebug("frontend:assets");

const JS = "text/javascript; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * The socket.io-cluster client helper. It sits in `client/` beside this module both in the
 * sources (src/frontend-node/client/) and in the build (dist/client/, copied by the build).
 */
const HELPER_PATH = join(__dirname, "client", "socket.io-cluster.js");

let helper: StaticAsset | undefined;

/**
 * The client helper served at /socket.io-cluster.js, read once. Throws with the path it looked
 * at when the file is missing (a build that did not copy it).
 *
 * @example
 * sendAsset(req, res, clientHelper());
 */
export function clientHelper(): StaticAsset {
  if (!helper) {
    helper = makeAsset(readFileSync(HELPER_PATH), JS);
    debug("client helper loaded from %s", HELPER_PATH);
  }
  return helper;
}

/** Files of socket.io's browser client a page may load from the frontend, by name. */
const SOCKET_IO_FILES: Record<string, string> = {
  "socket.io.js": JS,
  "socket.io.min.js": JS,
  "socket.io.esm.min.js": JS,
  "socket.io.js.map": JSON_TYPE,
  "socket.io.min.js.map": JSON_TYPE,
  "socket.io.esm.min.js.map": JSON_TYPE,
};

const socketIoCache = new Map<string, StaticAsset>();

/**
 * A file of the Socket.IO browser client, as socket.io ships it (the same version as the
 * io-nodes'), or undefined for names that are not part of it. Pages served by a frontend can
 * load `/socket.io/socket.io.js` from it, instead of from an io-node that may be gone.
 *
 * @example
 * const asset = socketIoClientFile("socket.io.min.js");
 */
export function socketIoClientFile(name: string): StaticAsset | undefined {
  const contentType = SOCKET_IO_FILES[name];
  if (!contentType) return undefined;
  let asset = socketIoCache.get(name);
  if (!asset) {
    const dir = join(dirname(require.resolve("socket.io/package.json")), "client-dist");
    asset = makeAsset(readFileSync(join(dir, name)), contentType);
    socketIoCache.set(name, asset);
  }
  return asset;
}
