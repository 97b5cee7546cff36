/**
 * The chat examples in a real browser (Debian's Chromium through playwright-core), each run as a
 * real cluster of processes on the test Redis: pages served by different io-nodes talk to each
 * other. The examples require("socket.io-cluster"), that is dist/: build it first (npm test does).
 */
import { expect } from "chai";
import type { Page } from "playwright-core";
import { findFreePort, isPortFree } from "../src/cli/ports";
import { BrowserSession, launchBrowser, screenshot, startNode, stopAllProcesses, TestProcess, waitForPage } from "./helpers/browser";
import { redisUrl, uniquePrefix, waitFor } from "./helpers";

// The page's DOM, for the functions that run in the browser (the project compiles without lib "dom").
interface PageElement {
  textContent: string | null;
  classList: { contains(name: string): boolean };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
declare const document: PageElement & { getElementById(id: string): PageElement | null };

/**
 * A free port P such that P+1 .. P+count-1 are free too, below the system's ephemeral range, where
 * the outgoing connections of a busy machine (and the nodes' own port-0 listeners) do not land.
 */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!(await isPortFree(port))) continue;
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => isPortFree(port + i + 1)));
    if (rest.every(Boolean)) return port;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

describe("browser: the chat examples in Chromium", function () {
  this.timeout(60_000);
  let browser: BrowserSession;

  before(async function () {
    // installing Chromium with apt-get, when it is missing, takes longer than a test
    this.timeout(15 * 60_000);
    browser = await launchBrowser();
  });

  after(async () => {
    await stopAllProcesses();
    await browser?.close();
  });

  afterEach(async () => {
    if (!browser) return;
    await browser.closePages();
    const errors = browser.errors.splice(0);
    expect(errors, "uncaught errors in the pages").to.deep.equal([]);
  });

  describe("modern chat (examples/chat) as a cluster", () => {
    let cluster: TestProcess;
    let port: number;

    before(async () => {
      port = await freePorts(3);
      // 1 app-node on `port`, io-nodes on port+1 and port+2, both serving examples/chat/public
      cluster = startNode(["dist/cli.js", "dev", "examples/chat/index.js", "--port", String(port), "--redis", redisUrl(), "--prefix", uniquePrefix("browser-chat")]);
      await cluster.waitForOutput(/Open any of these URLs/);
    });

    after(() => cluster?.stop());

    /** The chat's lines: logs as they are, messages as "name: text". */
    const chatLines = (): string[] =>
      Array.from(document.querySelectorAll("#messages li")).map((li) => {
        const name = li.querySelector(".name")?.textContent;
        return name ? `${name}: ${li.textContent!.slice(name.length)}` : li.textContent!;
      });

    function waitForLine(page: Page, line: string): Promise<string[]> {
      return waitForPage(page, chatLines, (lines) => lines.includes(line), `"${line}"`);
    }

    async function login(url: string, nickname: string): Promise<Page> {
      const page = await browser.newPage();
      await page.goto(url);
      await page.fill("#nickname", nickname);
      await page.press("#nickname", "Enter");
      await waitForLine(page, "Welcome to the Socket.IO chat");
      return page;
    }

    async function send(page: Page, text: string): Promise<void> {
      await page.fill("#message", text);
      await page.press("#message", "Enter");
    }

    it("two pages served by two different io-nodes see each other join and talk", async () => {
      const alice = await login(`http://127.0.0.1:${port + 1}/`, "alice");
      const bob = await login(`http://127.0.0.1:${port + 2}/`, "bob");
      expect(await alice.textContent("#via")).to.equal(`connected through 127.0.0.1:${port + 1}`);
      expect(await bob.textContent("#via")).to.equal(`connected through 127.0.0.1:${port + 2}`);

      await waitForLine(alice, "bob joined");
      await send(bob, "hello alice, from io-node 2");
      await waitForLine(alice, "bob: hello alice, from io-node 2");
      await send(alice, "hi bob, from io-node 1");
      const bobSees = await waitForLine(bob, "alice: hi bob, from io-node 1");
      // bob's own message shows once: as he sent it, not echoed back
      expect(bobSees.filter((l) => l.endsWith("hello alice, from io-node 2"))).to.deep.equal(["bob: hello alice, from io-node 2"]);
      await screenshot(alice, "modern-chat-alice");
      await screenshot(bob, "modern-chat-bob");
    });
  });

  describe("legacy chat (examples/legacy-chat): frontend, 2 io-nodes, app-node", () => {
    let cluster: TestProcess;
    let frontend: string;

    before(async () => {
      const port = await findFreePort();
      cluster = startNode(["scripts/legacy-chat.mjs", "--port", String(port), "--redis", redisUrl(), "--prefix", uniquePrefix("browser-legacy")]);
      await cluster.waitForOutput(/Open http:\/\/localhost:\d+ in two browser windows/);
      frontend = `http://127.0.0.1:${port}`;
    });

    after(() => cluster?.stop());

    interface Line {
      text: string;
      /** An announcement: emphasised. */
      em: boolean;
      /** A connection status line. */
      status: boolean;
    }
    const chatLines = (): Line[] =>
      Array.from(document.querySelectorAll("#chat p")).map((p) => ({
        text: p.textContent!,
        em: !!p.querySelector("em"),
        status: p.classList.contains("status"),
      }));

    interface ChatPage {
      page: Page;
      /** host:port of the io-node it connected to. */
      ioNode: string;
      /** Its session id, as the app-node names it. */
      id: string;
    }

    /** Opens the chat from `url` and waits for the connection and the history (the form shows). */
    async function openChat(url: string): Promise<ChatPage> {
      const page = await browser.newPage();
      await page.goto(url);
      const lines = await waitForPage(page, chatLines, (ls) => ls.some((l) => l.status && l.text.startsWith("Connected to ")), "the connection status line");
      const [, ioNode, id] = /^Connected to (\S+) as (\S+)$/.exec(lines.find((l) => l.text.startsWith("Connected to "))!.text)!;
      await page.waitForSelector("#form:not([hidden])");
      return { page, ioNode, id };
    }

    async function say(chat: ChatPage, text: string): Promise<void> {
      await chat.page.fill("#text", text);
      await chat.page.press("#text", "Enter");
    }

    /** Waits for a line with this text and returns it. */
    async function waitForLine(chat: ChatPage, text: string): Promise<Line> {
      const lines = await waitForPage(chat.page, chatLines, (ls) => ls.some((l) => l.text === text), `"${text}"`);
      return lines.find((l) => l.text === text)!;
    }

    /** The frontend's view: live io-nodes with their connections. */
    async function ioNodes(): Promise<Array<{ address: string; connections: number }>> {
      const res = await fetch(`${frontend}/status.json`);
      return ((await res.json()) as { nodes: { io: Array<{ address: string; connections: number }> } }).nodes.io;
    }

    /** Waits until the frontend counts a connection on this io-node: from then on it lists the other one first. */
    function counted(chat: ChatPage): Promise<unknown> {
      return waitFor(async () => (await ioNodes()).some((n) => n.address === chat.ioNode && n.connections >= 1), 10_000, `the frontend to count the connection on ${chat.ioNode}`);
    }

    it("two pages get different io-nodes from the frontend and chat: history, announcements, name: text", async () => {
      const a = await openChat(frontend);
      await say(a, "first, before anyone else");
      await waitForLine(a, "you: first, before anyone else");

      await counted(a);
      const b = await openChat(frontend);
      expect(b.ioNode, "the second page goes to the other, less loaded io-node").to.not.equal(a.ioNode);
      expect(b.id).to.not.equal(a.id);

      // B's history (the app-node's buffer) holds A's message, as "name: text"
      expect(await waitForLine(b, `${a.id}: first, before anyone else`)).to.include({ em: false, status: false });
      // A gets B's arrival as an announcement: emphasised
      expect(await waitForLine(a, `${b.id} connected`)).to.include({ em: true, status: false });

      // messages both ways, across the two io-nodes; what people type stays text
      await say(b, "hello <b>A</b>");
      await waitForLine(b, "you: hello <b>A</b>");
      await waitForLine(a, `${b.id}: hello <b>A</b>`);
      expect(await a.page.locator("#chat b").allTextContents()).to.not.include("A");
      await say(a, "hi B");
      await waitForLine(b, `${a.id}: hi B`);
      // nobody gets their own message back from the app-node
      const bSees = (await b.page.evaluate(chatLines)).map((l) => l.text);
      expect(bSees.filter((t) => t.endsWith("hello <b>A</b>"))).to.deep.equal(["you: hello <b>A</b>"]);
      await screenshot(a.page, "legacy-chat-a");
      await screenshot(b.page, "legacy-chat-b");

      // B leaves: A gets the announcement
      await b.page.close();
      expect(await waitForLine(a, `${b.id} disconnected`)).to.include({ em: true });
    });

    it("the frontend's status page shows both io-nodes while browsers are connected", async () => {
      const a = await openChat(frontend);
      await counted(a);
      const b = await openChat(frontend);
      expect(b.ioNode, "one page on each io-node").to.not.equal(a.ioNode);

      const status = await browser.newPage();
      await status.goto(`${frontend}/status`);
      const rows = await waitForPage(
        status,
        () =>
          Array.from(document.querySelectorAll("#io tr")).map((tr) => ({
            address: tr.querySelector(".sub")?.textContent ?? "",
            connections: tr.querySelectorAll("td")[1]?.textContent ?? "",
          })),
        (rs) => rs.length === 2 && rs.every((r) => r.connections === "1"),
        "both io-nodes, with one connection each",
      );
      expect(rows.map((r) => r.address).sort()).to.deep.equal([a.ioNode, b.ioNode].sort());
      expect(await status.textContent("#c-io")).to.equal("2");
      expect(await status.textContent("#c-app")).to.equal("1");
      expect(await status.textContent("#c-clients")).to.equal("2");
      await screenshot(status, "legacy-status");
    });

    it("an io-node serves the page too (no frontend needed), which then connects to that io-node", async () => {
      const other = await openChat(frontend);
      const direct = (await ioNodes()).find((n) => n.address !== other.ioNode)!;
      const chat = await openChat(`http://${direct.address}/`);
      expect(chat.ioNode).to.equal(direct.address);
      await say(chat, "straight to the io-node");
      await waitForLine(other, `${chat.id}: straight to the io-node`);
    });

    // last: it leaves the cluster with one io-node
    it("a page whose io-node dies reconnects to the other io-node the frontend lists", async () => {
      const chat = await openChat(frontend);
      const res = await fetch(`${frontend}/status.json`);
      const { nodes } = (await res.json()) as { nodes: { io: Array<{ address: string; pid: number }> } };
      const victim = nodes.io.find((n) => n.address === chat.ioNode)!;
      process.kill(victim.pid, "SIGKILL");
      const lines = await waitForPage(chat.page, chatLines, (ls) => ls.some((l) => l.text.startsWith("Reconnected to ")), "the reconnection");
      const [, ioNode] = /^Reconnected to (\S+) as /.exec(lines.find((l) => l.text.startsWith("Reconnected to "))!.text)!;
      expect(ioNode).to.not.equal(chat.ioNode);
      expect(lines.map((l) => l.text).filter((t) => /^Disconnected \(transport (close|error)\)$/.test(t))).to.have.length(1);
      await screenshot(chat.page, "legacy-chat-failover");
    });
  });
});
