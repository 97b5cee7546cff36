import type { Socket as ClientSocket } from "socket.io-client";
import { waitFor } from "../../test/helpers/wait";
import { scenarios } from "../scenario";

/** Resolves with the arguments of the next `event` on `socket`. */
function next(socket: { once(ev: string, fn: (...args: any[]) => void): unknown }, event: string): Promise<any[]> {
  return new Promise((resolve) => socket.once(event, (...args: any[]) => resolve(args)));
}

/** A JSON-able description of a value, keeping what JSON would lose (undefined, null, types). */
function describe(value: unknown): unknown {
  if (value === undefined) return "<undefined>";
  if (value === null) return "<null>";
  if (typeof value === "function") return "<function>";
  if (Array.isArray(value)) return value.map(describe);
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, describe(v)]));
  }
  return `${typeof value}:${String(value)}`;
}

/** A round trip on the same connection: whatever the other side sent before has arrived. */
async function roundTrip(c: ClientSocket): Promise<void> {
  await c.emitWithAck("sync");
}

export default scenarios("emit", [
  {
    name: "client emit with ack, server answers",
    setup(io) {
      io.on("connection", (socket) => socket.on("sum", (a: number, b: number, ack: (n: number) => void) => ack(a + b)));
    },
    async run(ctx) {
      const c = await ctx.connect();
      return { sum: await c.emitWithAck("sum", 2, 3) };
    },
  },
  {
    name: "server emitWithAck to client, and timeout when the client does not answer",
    setup(io, shared) {
      io.on("connection", async (socket) => {
        const answer = await socket.timeout(2_000).emitWithAck("ask", "q");
        const late = await socket
          .timeout(50)
          .emitWithAck("ignored")
          .then(() => "answered", (err: Error) => err.message);
        socket.emit("result", { answer, late });
      });
    },
    async run(ctx) {
      const c = ctx.client();
      c.on("ask", (q: string, ack: (a: string) => void) => ack(q + "!"));
      return new Promise((resolve) => c.on("result", resolve));
    },
  },
  {
    name: "client to server: several arguments, objects, null and undefined, both ways through the ack",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("echo", (...args: any[]) => {
          const ack = args.pop();
          // what the server received, then several values back through the ack
          ack(describe(args), args.length, null, undefined, { a: undefined, b: null, c: [undefined, 1] }, "end");
        });
        socket.on("no-args", (ack: (...a: unknown[]) => void) => ack());
        socket.on("only-undefined", (...args: any[]) => {
          const ack = args.pop();
          ack(describe(args));
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const echo = await new Promise<unknown[]>((resolve) =>
        c.emit(
          "echo",
          1,
          "two",
          { three: [3, { four: 4 }], nested: { deep: { deeper: true } }, missing: undefined, nothing: null },
          null,
          undefined,
          [null, undefined, 0, "", false],
          (...args: unknown[]) => resolve(args),
        ),
      );
      const noArgs = await new Promise<unknown[]>((resolve) => c.emit("no-args", (...args: unknown[]) => resolve(args)));
      const onlyUndefined = await new Promise<unknown[]>((resolve) =>
        c.emit("only-undefined", undefined, (...args: unknown[]) => resolve(args)),
      );
      return { serverSaw: echo[0], ackArgs: describe(echo.slice(1)), noArgs: describe(noArgs), onlyUndefined: describe(onlyUndefined) };
    },
  },
  {
    name: "server to client with ack callback: several arguments both ways",
    setup(io) {
      io.on("connection", (socket) => {
        socket.emit("question", 1, { two: [2, null] }, null, "four", (...answers: unknown[]) => {
          socket.emit("answers", describe(answers));
        });
      });
    },
    async run(ctx) {
      const c = ctx.client();
      const asked = new Promise<unknown>((resolve) =>
        c.on("question", (...args: any[]) => {
          const ack = args.pop();
          resolve(describe(args));
          ack("a", 2, { three: null }, undefined, [undefined]);
        }),
      );
      const [answers] = await next(c, "answers");
      return { asked: await asked, answers };
    },
  },
  {
    name: "socket.timeout(ms).emit with callback: answered, and error on timeout (server side)",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("start", () => {
          const results: unknown[] = [];
          const done = () => results.length === 2 && socket.emit("results", results.sort());
          socket.timeout(5_000).emit("will-answer", 1, (err: Error | null, value: unknown) => {
            results.push(`answered: err=${err && err.message} value=${value}`);
            done();
          });
          socket.timeout(100).emit("will-not-answer", 2, (err: Error | null, ...rest: unknown[]) => {
            results.push(`silent: err=${err && err.message} rest=${JSON.stringify(rest)} isError=${err instanceof Error}`);
            done();
          });
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      c.on("will-answer", (n: number, ack: (v: number) => void) => ack(n * 10));
      c.on("will-not-answer", () => undefined);
      c.emit("start");
      const [results] = await next(c, "results");
      return results;
    },
  },
  {
    name: "client timeout(ms).emit and emitWithAck: answered, and error on timeout (client side)",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("answer", (n: number, ack: (v: number) => void) => ack(n + 1));
        socket.on("silent", () => undefined);
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const cbAnswered = await new Promise((resolve) =>
        c.timeout(5_000).emit("answer", 1, (err: Error | null, v: number) => resolve({ err: err && err.message, v })),
      );
      const cbSilent = await new Promise((resolve) =>
        c.timeout(100).emit("silent", (err: Error | null, ...rest: unknown[]) => resolve({ err: err && err.message, rest: describe(rest) })),
      );
      const withAckAnswered = await c.timeout(5_000).emitWithAck("answer", 41);
      const withAckSilent = await c
        .timeout(100)
        .emitWithAck("silent")
        .then(
          (v: unknown) => ({ resolved: v }),
          (err: Error) => ({ rejected: err.message, isError: err instanceof Error }),
        );
      return { cbAnswered, cbSilent, withAckAnswered, withAckSilent };
    },
  },
  {
    name: "emitWithAck both ways keeps only the first ack argument",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("multi", (ack: (...a: unknown[]) => void) => ack("first", "second"));
        socket.on("go", async (ack: (v: unknown) => void) => {
          const plain = await socket.emitWithAck("client-multi");
          const timed = await socket.timeout(5_000).emitWithAck("client-multi");
          ack({ plain, timed });
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      c.on("client-multi", (ack: (...a: unknown[]) => void) => ack("one", "two"));
      const clientPlain = await c.emitWithAck("multi");
      const clientTimed = await c.timeout(5_000).emitWithAck("multi");
      const server = await c.emitWithAck("go");
      return { clientPlain, clientTimed, server };
    },
  },
  {
    name: "ack called twice is delivered once, both ways",
    setup(io, shared) {
      shared.serverCallbacks = 0;
      io.on("connection", (socket) => {
        socket.on("twice", (ack: (v: string) => void) => {
          ack("first");
          ack("second");
        });
        socket.on("sync", (ack: () => void) => ack());
        socket.on("ask-client", () => {
          socket.emit("answer-twice", (v: string) => {
            shared.serverCallbacks++;
            shared.serverValues = [...(shared.serverValues ?? []), v];
          });
        });
        socket.on("report", (ack: (v: unknown) => void) => ack({ calls: shared.serverCallbacks, values: shared.serverValues }));
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const clientValues: string[] = [];
      c.emit("twice", (v: string) => clientValues.push(v));
      await roundTrip(c);
      const answered = next(c, "answer-twice").then(([ack]) => {
        ack("one");
        ack("two");
      });
      c.emit("ask-client");
      await answered;
      await roundTrip(c);
      await roundTrip(c);
      const server = await c.emitWithAck("report");
      return { clientValues, server };
    },
  },
  {
    name: "many emits from one side keep their order, both ways",
    setup(io) {
      io.on("connection", (socket) => {
        const got: string[] = [];
        socket.on("a", (i: number) => got.push(`a${i}`));
        socket.on("b", (i: number, ack: (v: number) => void) => {
          got.push(`b${i}`);
          ack(i);
        });
        socket.on("c", (i: number, obj: { i: number }) => got.push(`c${i}:${obj.i}`));
        socket.on("received", (ack: (v: string[]) => void) => ack(got));
        socket.on("send-many", (n: number) => {
          for (let i = 0; i < n; i++) {
            if (i % 3 === 0) socket.emit("x", i);
            else if (i % 3 === 1) socket.emit("y", i, { i });
            else socket.emit("z", i, (v: number) => socket.emit("ack-seen", v));
          }
          socket.emit("end");
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const acks: number[] = [];
      for (let i = 0; i < 300; i++) {
        if (i % 3 === 0) c.emit("a", i);
        else if (i % 3 === 1) c.emit("b", i, (v: number) => acks.push(v));
        else c.emit("c", i, { i });
      }
      const serverReceived = await c.emitWithAck("received");
      const clientReceived: string[] = [];
      const seen: number[] = [];
      c.on("x", (i: number) => clientReceived.push(`x${i}`));
      c.on("y", (i: number, o: { i: number }) => clientReceived.push(`y${i}:${o.i}`));
      c.on("z", (i: number, ack: (v: number) => void) => {
        clientReceived.push(`z${i}`);
        ack(i);
      });
      c.on("ack-seen", (v: number) => seen.push(v));
      const end = next(c, "end");
      c.emit("send-many", 300);
      await end;
      // the server's acknowledgements are emitted after "end": wait for all 100 of them
      await waitFor(() => seen.length >= 100, { what: "the server's 100 acknowledgements" });
      return { serverReceived, clientAcksInOrder: acks, clientReceived, serverAcksInOrder: seen };
    },
  },
  {
    name: "emits to a client right after connection arrive, in order, after connect",
    setup(io) {
      io.on("connection", (socket) => {
        socket.emit("first", 1);
        io.to(socket.id).emit("second", 2);
        socket.emit("third", { n: 3 });
        socket.nsp.to(socket.id).emit("fourth", [4]);
        socket.emit("fifth", "5", (v: string) => socket.emit("sixth", `acked ${v}`));
      });
    },
    async run(ctx) {
      const c = ctx.client();
      const events: unknown[] = [];
      c.on("connect", () => events.push("connect"));
      c.onAny((ev: string, ...args: any[]) => {
        const ack = typeof args[args.length - 1] === "function" ? args.pop() : undefined;
        events.push([ev, ...args, c.connected]);
        ack?.("ok");
      });
      await next(c, "sixth");
      return events;
    },
  },
  {
    name: "client emits before the connection is open are buffered and delivered in order",
    setup(io) {
      io.on("connection", (socket) => {
        const got: unknown[] = [];
        socket.on("early", (i: number) => got.push(i));
        socket.on("early-ack", (i: number, ack: (v: unknown) => void) => ack({ i, got: [...got] }));
      });
    },
    async run(ctx) {
      const c = ctx.client();
      c.emit("early", 1);
      c.emit("early", 2);
      const answer = c.emitWithAck("early-ack", 3);
      c.emit("early", 4);
      return { answer: await answer };
    },
  },
  {
    name: "client retries: an unanswered emit is retried until acknowledged",
    setup(io) {
      io.on("connection", (socket) => {
        const tries: Record<string, number> = {};
        socket.on("flaky", (key: string, ack: (v: unknown) => void) => {
          tries[key] = (tries[key] ?? 0) + 1;
          // answers the second try only
          if (tries[key] === 2) ack({ key, tries: tries[key] });
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { retries: 3, ackTimeout: 200 });
      const first = await c.emitWithAck("flaky", "k1");
      const second = await new Promise((resolve) => c.emit("flaky", "k2", (err: Error | null, v: unknown) => resolve({ err: err && err.message, v })));
      return { first, second };
    },
  },
  {
    name: "send and the message event, both ways",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("message", (...args: any[]) => {
          const ack = typeof args[args.length - 1] === "function" ? args.pop() : undefined;
          if (ack) ack("acked", args);
          else socket.send("echo", ...args);
        });
        socket.send("hello from send");
        socket.write("hello from write", 2);
      });
    },
    async run(ctx) {
      const c = ctx.client();
      const messages: unknown[] = [];
      c.on("message", (...a: unknown[]) => messages.push(a));
      await new Promise<void>((r) => c.on("connect", () => r()));
      c.send("one", { two: 2 });
      const acked = await new Promise((resolve) => c.send("with ack", (...a: unknown[]) => resolve(a)));
      const viaEmit = await c.emitWithAck("message", "emit message");
      return { acked, viaEmit, messages };
    },
  },
  {
    name: "reserved event names cannot be emitted by the server",
    setup(io, shared) {
      io.on("connection", (socket) => {
        const errors: string[] = [];
        for (const ev of ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]) {
          try {
            socket.emit(ev as never);
            errors.push(`${ev}: no error`);
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
        try {
          io.emit("disconnect" as never);
          errors.push("io.emit: no error");
        } catch (err) {
          errors.push(`io.emit: ${(err as Error).message}`);
        }
        socket.emit("errors", errors);
      });
    },
    async run(ctx) {
      const c = ctx.client();
      const [errors] = await next(c, "errors");
      return errors;
    },
  },
]);
