import { expect } from "chai";
import { spawnSync } from "child_process";
import { existsSync } from "fs";
import { join } from "path";

const root = join(__dirname, "..");

describe("published types", function () {
  this.timeout(60_000);

  it("a typed Socket.IO app compiles against socket.io-cluster's declarations, and its type errors are caught", () => {
    // the app imports "socket.io-cluster" itself: the package's own dist/index.d.ts, as users get it
    expect(existsSync(join(root, "dist", "index.d.ts")), "dist/index.d.ts (npm test builds it)").to.equal(true);
    const tsc = require.resolve("typescript/bin/tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", join(root, "test", "types", "tsconfig.json")], {
      encoding: "utf8",
    });
    // typed-app.ts marks wrong calls with @ts-expect-error: loose (any) types would fail this too
    expect(result.stdout + result.stderr).to.equal("");
    expect(result.status).to.equal(0);
  });
});
