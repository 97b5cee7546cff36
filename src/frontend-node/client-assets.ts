import { readFileSync } from "fs";
import { join } from "path";
import { debug as makeDebug } from "../log";
import { makeAsset, StaticAsset } from "./static-asset";

const debug = makeDebug("frontend:assets");

const JS = "text/javascript; charset=utf-8";

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
