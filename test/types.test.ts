import { expect } from "chai";
import { spawnSync } from "child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
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

  it("members marked @internal in src/ are not in dist/index.d.ts (tsup's stripInternal)", () => {
    const dts = readFileSync(join(root, "dist", "index.d.ts"), "utf8");
    // a declaration that survived would bring its comment along
    expect(dts, "an @internal comment in dist/index.d.ts").to.not.include("@internal");
    const marked = internalNames(join(root, "src"));
    expect(marked, "the members marked in src/ (the scan found them)").to.include.members(["_transport", "_rooms", "_onData", "_query", "clientSocket"]);
    const declared = new Set([...dts.matchAll(/^\s+(?:readonly |get )?([A-Za-z_$][\w$]*)\??[(:<]/gm)].map((m) => m[1]));
    // names that start with "_" are ours alone; the others are checked by the consumer above (typed-app.ts)
    expect(marked.filter((name) => name.startsWith("_") && declared.has(name))).to.deep.equal([]);
  });
});

/** The names of the declarations whose JSDoc says @internal, in every .ts file below `dir`. */
function internalNames(dir: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) names.push(...internalNames(path));
    else if (entry.endsWith(".ts") && !entry.endsWith(".d.ts")) {
      const source = readFileSync(path, "utf8");
      for (const m of source.matchAll(/\/\*\*(?:(?!\*\/)[\s\S])*@internal[\s\S]*?\*\/\s*(?:(?:readonly|private|protected|public|static|get|async|declare)\s+)*([A-Za-z_$][\w$]*)/g)) {
        names.push(m[1]);
      }
    }
  }
  return [...new Set(names)];
}
