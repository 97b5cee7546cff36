import { scenarios } from "../scenario";

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
]);
