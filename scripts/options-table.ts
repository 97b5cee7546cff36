/**
 * `npm run options-table`: writes the README's table of cluster options from the JSDoc of
 * `ClusterOptions` (src/options.ts) and from `CLUSTER_DEFAULTS`/`CLUSTER_ENV` (src/defaults.ts),
 * so the table cannot drift from the code. `--check` writes nothing and exits 1 when the README
 * is out of date (test/defaults.test.ts runs the same check).
 *
 * Per option: the first paragraph of its JSDoc is the "meaning"; its `@default` tag reads
 * `<value>[ (<ENV_VAR>[, <ENV_VAR>…][: <what the variable's values mean>])]`, where `<value>`
 * starts with the default of CLUSTER_DEFAULTS (or "none" where that is undefined) and the
 * variables are CLUSTER_ENV's.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { CLUSTER_DEFAULTS, CLUSTER_ENV, CLUSTER_KEYS } from "../src/defaults";

const root = join(__dirname, "..");
export const README = join(root, "README.md");
const OPTIONS_FILE = join(root, "src", "options.ts");

export const START_MARKER =
  "<!-- options-table:start (npm run options-table writes this table from src/options.ts and src/defaults.ts) -->";
export const END_MARKER = "<!-- options-table:end -->";

/** What the JSDoc of one member of an interface says. */
export interface OptionDoc {
  name: string;
  /** The comment's text, paragraphs separated by a blank line. */
  description: string;
  /** The text of its `@default` tag, if it has one. */
  defaultTag?: string;
}

/** The documented members of `interfaceName` in `file`, in their order. */
export function readOptionDocs(interfaceName: string, file = OPTIONS_FILE): OptionDoc[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2021, true);
  const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === interfaceName);
  if (!decl) throw new Error(`${file}: no interface ${interfaceName}`);
  return decl.members.filter(ts.isPropertySignature).map((m) => {
    const doc = ts.getJSDocCommentsAndTags(m).filter(ts.isJSDoc).pop();
    const tag = ts.getJSDocTags(m).find((t) => t.tagName.text === "default");
    return {
      name: m.name.getText(source),
      description: ts.getTextOfJSDocComment(doc?.comment) ?? "",
      defaultTag: tag ? ts.getTextOfJSDocComment(tag.comment)?.trim() : undefined,
    };
  });
}

/** A default as the `@default` tags write it: `"sioc"`, `1000`, `{ host: "127.0.0.1", port: 0 }`. */
export function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatDefault).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${formatDefault(v)}`).join(", ")} }`;
  }
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The environment variables of a cluster option, in CLUSTER_ENV's order. */
export function envNames(key: string): string[] {
  const entry = (CLUSTER_ENV as Record<string, string | Record<string, string>>)[key];
  if (entry === undefined) return [];
  return typeof entry === "string" ? [entry] : Object.values(entry);
}

/** A `@default` tag taken apart: the default, the variables it names, and what their values mean. */
export function parseDefaultTag(tag: string): { value: string; env: string[]; note?: string } {
  const m = /^(.*?)\s*\((SOCKET_IO_CLUSTER_[A-Z_]+(?:, SOCKET_IO_CLUSTER_[A-Z_]+)*)(?::\s*(.*))?\)$/s.exec(tag);
  if (!m) return { value: tag, env: [] };
  return { value: m[1], env: m[2].split(", "), note: m[3] };
}

/** How a `@default` tag of a cluster option starts: its CLUSTER_DEFAULTS value, or "none". */
function expectedDefault(key: string): string {
  const value = CLUSTER_DEFAULTS[key as keyof typeof CLUSTER_DEFAULTS];
  return value === undefined ? "none" : formatDefault(value);
}

/** Why the `@default` tag of `doc` disagrees with CLUSTER_DEFAULTS/CLUSTER_ENV, or undefined when it agrees. */
export function defaultTagProblem(doc: OptionDoc): string | undefined {
  const key = doc.name as keyof typeof CLUSTER_DEFAULTS;
  if (doc.defaultTag === undefined) return `ClusterOptions.${key} has no @default tag`;
  const { value, env } = parseDefaultTag(doc.defaultTag);
  const expected = expectedDefault(key);
  if (!value.startsWith(expected)) return `@default of ClusterOptions.${key} should start with ${expected} (CLUSTER_DEFAULTS), got "${value}"`;
  const names = envNames(key).join(", ");
  if (env.join(", ") !== names) return `@default of ClusterOptions.${key} should name (${names}) (CLUSTER_ENV), got (${env.join(", ")})`;
  return undefined;
}

/** Markdown of one table cell: one line, `|` escaped, `{@link A.b}` as code. */
function cell(text: string): string {
  return text
    .replace(/\{@link\s+([^}\s]+)\s*\}/g, "`$1`")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/\|/g, "\\|");
}

/** The table, header included, from the JSDoc of ClusterOptions and src/defaults.ts. */
export function renderOptionsTable(docs = readOptionDocs("ClusterOptions")): string {
  const byName = new Map(docs.map((d) => [d.name, d]));
  const missing = CLUSTER_KEYS.filter((k) => !byName.has(k));
  if (missing.length > 0) throw new Error(`ClusterOptions lacks ${missing.join(", ")} of CLUSTER_DEFAULTS`);
  const rows = docs.map((doc) => {
    const problem = defaultTagProblem(doc);
    if (problem) throw new Error(problem);
    const { value, note } = parseDefaultTag(doc.defaultTag!);
    const expected = expectedDefault(doc.name);
    // the value as code, what follows it ("none: …", " with Redis") as text
    const shown = expected === "none" ? value : `\`${expected}\`${value.slice(expected.length)}`;
    const env = envNames(doc.name).map((n) => `\`${n}\``).join(", ") + (note ? ` (${note})` : "");
    const meaning = doc.description.split(/\n\s*\n/)[0];
    return `| \`${doc.name}\` | ${cell(env)} | ${cell(shown)} | ${cell(meaning)} |`;
  });
  return ["| option | environment | default | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** `readme` with the text between the markers replaced by the table; throws without the markers. */
export function withOptionsTable(readme: string, table = renderOptionsTable()): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`README.md: the markers ${START_MARKER} … ${END_MARKER} are missing`);
  return `${readme.slice(0, start + START_MARKER.length)}\n${table}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const check = process.argv.includes("--check");
  try {
    const readme = readFileSync(README, "utf8");
    const updated = withOptionsTable(readme);
    if (check) {
      if (updated !== readme) {
        console.error("README.md: the cluster options table is out of date with src/options.ts and src/defaults.ts; run `npm run options-table`");
        process.exit(1);
      }
      console.log("README.md: the cluster options table is up to date");
    } else if (updated !== readme) {
      writeFileSync(README, updated);
      console.log("README.md: cluster options table written");
    } else {
      console.log("README.md: cluster options table already up to date");
    }
  } catch (err) {
    console.error(`options-table: ${(err as Error).message}`);
    process.exit(1);
  }
}
