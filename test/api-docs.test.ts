import { expect } from "chai";
import { join } from "path";
import { findMissingDocs, MissingDoc } from "./helpers/api-docs";

const list = (missing: MissingDoc[]) => missing.map((m) => `  ${m.where}\t${m.name}\tlacks ${m.lacks}`).join("\n");

describe("API documentation", function () {
  // the checker type-checks the whole public API
  this.timeout(60_000);

  it("every exported class, function and option has JSDoc with an @example", () => {
    const missing = findMissingDocs();
    expect(missing.length, `undocumented public API (npx tsx test/helpers/api-docs.ts):\n${list(missing)}\n`).to.equal(0);
  });

  it("a class member borrows the docs of the interface member it implements, as an editor shows them", () => {
    const missing = findMissingDocs(join(__dirname, "fixtures", "api-docs", "index.ts"));
    // open (no comment) and shut (a summary, no tags) borrow Lid's example; lock has tags of its
    // own, so an editor shows no example for it; weigh's interface member has none to lend
    expect(missing.map((m) => `${m.name} ${m.lacks}`)).to.deep.equal(["Box#lock @example", "Box#weigh @example"]);
  });
});
