/**
 * Sums up V8 CPU profiles (`npm run bench -- --cpu-prof --from-src --targets split-1+1`), heaviest
 * first: self time by source (src/ files of socket.io-cluster, each package of node_modules, Node
 * internals); the same with the time of Node internals and V8 natives (socket writes, buffers)
 * charged to the nearest caller in a package or in src/; self time by function; and the total
 * (inclusive) time of the src/ functions.
 *
 * Usage: node --import tsx bench/profile.ts [FILE.cpuprofile | DIR ...] [--top N]
 * A DIR (e.g. bench/results/profiles/split-1+1-io-node-0, one per target, role and process) stands
 * for every profile in it: the runs of one role summed up. Default: the newest profile anywhere in
 * bench/results/profiles/.
 */
import { readdirSync, readFileSync, statSync } from "fs";
import { join, relative } from "path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const root = join(__dirname, "..");

/** The .cpuprofile files at a path: the file itself, or those in a directory and its subdirectories. */
function profilesAt(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? profilesAt(join(path, e.name)) : e.name.endsWith(".cpuprofile") ? [join(path, e.name)] : [],
  );
}

function newestProfile(): string {
  const dir = join(root, "bench", "results", "profiles");
  const files = profilesAt(dir).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}: run npm run bench -- --cpu-prof first`);
  return files[0];
}

/** Where a function comes from: a src/ file, a package, or Node itself. */
function sourceOf(url: string): string {
  if (!url) return "(native / V8)";
  if (url.startsWith("node:")) return "node internals";
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + "node_modules/".length).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return relative(root, path);
}

function main(): void {
  const args = process.argv.slice(2);
  const topAt = args.indexOf("--top");
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
  const files = args.filter((a, i) => !a.startsWith("--") && i !== topAt + 1);
  const selfByFn = new Map<string, number>();
  const selfBySource = new Map<string, number>();
  const chargedBySource = new Map<string, number>();
  const inclusiveSrc = new Map<string, number>();
  let total = 0;
  for (const file of files.length ? files.flatMap(profilesAt) : [newestProfile()]) {
    const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const isInternal = (n: ProfileNode) => {
      const src = sourceOf(n.callFrame.url);
      return src === "(native / V8)" || src === "node internals";
    };
    profile.samples.forEach((id, i) => {
      const node = byId.get(id)!;
      const dt = profile.timeDeltas[i] ?? 0;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === "(idle)" || functionName === "(program)") return;
      total += dt;
      const source = sourceOf(url);
      const fn = `${functionName || "(anonymous)"}  ${source}${url ? `:${lineNumber + 1}` : ""}`;
      selfByFn.set(fn, (selfByFn.get(fn) ?? 0) + dt);
      selfBySource.set(source, (selfBySource.get(source) ?? 0) + dt);
      // charged to the nearest caller outside Node and V8; inclusive time of src/ functions
      let charged: string | undefined;
      const seen = new Set<string>();
      for (let cur: ProfileNode | undefined = node; cur; cur = byId.get(parent.get(cur.id) ?? -1)) {
        if (!charged && !isInternal(cur)) charged = sourceOf(cur.callFrame.url);
        const src = sourceOf(cur.callFrame.url);
        if (src.startsWith("src/")) {
          const key = `${cur.callFrame.functionName || "(anonymous)"}  ${src}`;
          if (!seen.has(key)) {
            seen.add(key);
            inclusiveSrc.set(key, (inclusiveSrc.get(key) ?? 0) + dt);
          }
        }
      }
      const key = charged ?? (functionName === "(garbage collector)" ? "(garbage collector)" : "(Node / V8 with no JS caller)");
      chargedBySource.set(key, (chargedBySource.get(key) ?? 0) + dt);
    });
    console.log(`profile: ${relative(process.cwd(), file)}`);
  }
  const show = (title: string, m: Map<string, number>) => {
    console.log(`\n${title} (busy time ${(total / 1000).toFixed(0)} ms, idle excluded)`);
    for (const [name, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
    }
  };
  show("self time by source", selfBySource);
  show("self time, Node internals and natives charged to their nearest caller in a package or src/", chargedBySource);
  show("self time by function", selfByFn);
  show("total (inclusive) time of src/ functions", inclusiveSrc);
}

main();
