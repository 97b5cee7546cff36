/**
 * What the public API leaves undocumented: every class, function and option reachable from
 * src/index.ts must carry JSDoc with an `@example`, as socket.io documents its own API.
 * Read with the TypeScript compiler, so a re-export or an alias is followed to its declaration,
 * and a class member may borrow the docs of the interface member it implements, as far as an
 * editor shows them there (see `shown`).
 */
import { join } from "node:path";
import ts from "typescript";

/** One public declaration without the documentation it owes. */
export interface MissingDoc {
  /** `Server`, `Server#close`, `ClusterOptions.redis`. */
  name: string;
  /** `src/app-node/server.ts:42`. */
  where: string;
  /** What is missing: the whole comment, or only its example. */
  lacks: "jsdoc" | "@example";
}

const root = join(__dirname, "..", "..");

export function findMissingDocs(entry = join(root, "src", "index.ts")): MissingDoc[] {
  const program = ts.createProgram([entry], { strict: true, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (!source) throw new Error(`cannot read ${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} is not a module`);

  const missing: MissingDoc[] = [];
  const seen = new Set<ts.Node>();
  const own = (d: ts.Declaration) => !d.getSourceFile().fileName.includes("node_modules");
  const where = (d: ts.Node) => {
    const sf = d.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(d.getStart());
    return `${sf.fileName.slice(root.length + 1)}:${line + 1}`;
  };
  const check = (name: string, d: ts.Node) => {
    if (seen.has(d)) return;
    seen.add(d);
    const tags = ts.getJSDocTags(d);
    if (tags.some((t) => t.tagName.text === "internal")) return;
    const docs = ts.getJSDocCommentsAndTags(d).filter(ts.isJSDoc);
    let hasDoc = docs.length > 0;
    let hasExample = tags.some((t) => t.tagName.text === "example");
    if (!hasExample && ts.isClassElement(d)) ({ hasDoc, hasExample } = shown(d, hasDoc));
    if (!hasDoc) missing.push({ name, where: where(d), lacks: "jsdoc" });
    else if (!hasExample) missing.push({ name, where: where(d), lacks: "@example" });
  };
  /**
   * What an editor's hover shows of a class member, with what it borrows from the interface
   * member it implements (or the base class member it overrides): TypeScript borrows the summary
   * when the member has none (or says `@inheritDoc`) and the tags when it has none.
   */
  const shown = (m: ts.ClassElement, ownDoc: boolean): { hasDoc: boolean; hasExample: boolean } => {
    const symbol = m.name && checker.getSymbolAtLocation(m.name);
    if (!symbol) return { hasDoc: ownDoc, hasExample: false };
    return {
      hasDoc: ownDoc || symbol.getDocumentationComment(checker).length > 0,
      hasExample: symbol.getJsDocTags(checker).some((t) => t.name === "example"),
    };
  };
  const isPublic = (m: ts.ClassElement) => {
    const flags = ts.getCombinedModifierFlags(m as ts.Declaration);
    if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
    return !(m.name && ts.isPrivateIdentifier(m.name));
  };

  for (let exported of checker.getExportsOfModule(moduleSymbol)) {
    if (exported.flags & ts.SymbolFlags.Alias) exported = checker.getAliasedSymbol(exported);
    for (const d of (exported.declarations ?? []).filter(own)) {
      const name = exported.getName();
      if (ts.isClassDeclaration(d)) {
        check(name, d);
        for (const m of d.members) {
          if (!isPublic(m) || !m.name || ts.isConstructorDeclaration(m)) continue;
          if (ts.isMethodDeclaration(m) || ts.isGetAccessor(m)) check(`${name}#${m.name.getText()}`, m);
        }
      } else if (ts.isFunctionDeclaration(d)) {
        check(name, d);
      } else if (ts.isInterfaceDeclaration(d) && /Options$/.test(name)) {
        check(name, d);
        for (const m of d.members) if (ts.isPropertySignature(m)) check(`${name}.${m.name.getText()}`, m);
      }
    }
  }
  return missing;
}

if (require.main === module) {
  const missing = findMissingDocs();
  for (const m of missing) console.log(`${m.where}\t${m.name}\tlacks ${m.lacks}`);
  console.log(`${missing.length} missing`);
}
