import type { Socket } from "socket.io";
import type { Shared } from "../scenario";
import { scenarios } from "../scenario";
import { waitFor } from "../../test/helpers/wait";

/** The rooms of a socket, sorted, its own id shown as "<self>" and other ids as "<id:name>". */
function roomsOf(socket: Socket, shared?: Shared): string[] {
  return [...socket.rooms].map((r) => label(r, socket.id, shared)).sort();
}

function label(room: string, selfId: string | undefined, shared?: Shared): string {
  if (room === selfId) return "<self>";
  const name = shared?.names?.[room];
  return name ? `<id:${name}>` : room;
}

/** Names sockets by `auth.name`, so adapter events can be told apart without ids. */
function nameSockets(io: { use(fn: (s: Socket, next: () => void) => void): unknown }, shared: Shared): void {
  shared.names ??= {};
  io.use((socket, next) => {
    shared.names[socket.id] = socket.handshake.auth.name;
    next();
  });
}

export default scenarios("rooms", [
  {
    name: "join and leave are visible at once in socket.rooms",
    setup(io, shared) {
      io.on("connection", (socket) => {
        const steps: Array<[string, string[]]> = [["connected", roomsOf(socket)]];
        socket.join("a");
        steps.push(["join a", roomsOf(socket)]);
        socket.join("a");
        steps.push(["join a again", roomsOf(socket)]);
        socket.join(["b", "c"]);
        steps.push(["join [b, c]", roomsOf(socket)]);
        socket.leave("b");
        steps.push(["leave b", roomsOf(socket)]);
        socket.leave("not-joined");
        steps.push(["leave not-joined", roomsOf(socket)]);
        socket.join([]);
        steps.push(["join []", roomsOf(socket)]);
        shared[socket.handshake.auth.name] = steps;
        socket.on("join-leave", (join: string[], leave: string[], ack: (r: string[]) => void) => {
          socket.join(join);
          for (const r of leave) socket.leave(r);
          ack(roomsOf(socket));
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { auth: { name: "x" } });
      const later = [
        await c.emitWithAck("join-leave", ["d", "e", "f"], []),
        await c.emitWithAck("join-leave", [], ["d", "f", "zzz"]),
        await c.emitWithAck("join-leave", ["a", "d"], ["a"]),
      ];
      return { onConnection: ctx.shared.x, later };
    },
  },
  {
    name: "socket.rooms holds the socket's own id from the start",
    setup(io, shared) {
      io.use((socket, next) => {
        shared.inMiddleware = [...socket.rooms].length;
        next();
      });
      io.on("connection", (socket) => {
        socket.emit("rooms", {
          size: socket.rooms.size,
          hasOwnId: socket.rooms.has(socket.id),
          inMiddleware: shared.inMiddleware,
          ownRoomMembers: [...(socket.nsp.adapter.rooms.get(socket.id) ?? [])].map((id) => (id === socket.id ? "<self>" : "<other>")),
        });
      });
    },
    async run(ctx) {
      const c = ctx.client();
      return new Promise((resolve) => c.on("rooms", resolve));
    },
  },
  {
    name: "disconnecting still sees the rooms, disconnect sees them emptied",
    setup(io, shared) {
      io.on("connection", (socket) => {
        const name = socket.handshake.auth.name;
        socket.join(["room1", "room2"]);
        socket.on("disconnecting", (reason) => {
          shared[`${name}:disconnecting`] = { reason, rooms: roomsOf(socket), room1Exists: socket.nsp.adapter.rooms.has("room1") };
        });
        socket.on("disconnect", (reason) => {
          shared[`${name}:disconnect`] = {
            reason,
            rooms: roomsOf(socket),
            // the room still exists when another socket of this server is in it
            room1Members: socket.nsp.adapter.rooms.get("room1")?.has(socket.id) ?? false,
            ownRoomExists: socket.nsp.adapter.rooms.has(socket.id),
          };
        });
        socket.on("count", async (room: string, ack: (n: number) => void) => ack((await io.in(room).fetchSockets()).length));
      });
    },
    async run(ctx) {
      const a = await ctx.connect("/", { auth: { name: "a" } });
      const b = await ctx.connect("/", { auth: { name: "b" } });
      const before = await b.emitWithAck("count", "room1");
      a.disconnect();
      const disconnecting = await waitFor(() => ctx.shared["a:disconnecting"]);
      const disconnect = await waitFor(() => ctx.shared["a:disconnect"]);
      const after = await b.emitWithAck("count", "room1");
      const afterRoom2 = await b.emitWithAck("count", "room2");
      return { before, disconnecting, disconnect, after, afterRoom2 };
    },
  },
  {
    name: "rooms are emptied when the last socket disconnects",
    setup(io, shared) {
      io.on("connection", (socket) => {
        socket.join("solo");
        socket.on("disconnect", () => {
          shared.soloGone = {
            roomExists: socket.nsp.adapter.rooms.has("solo"),
            ownIdRoomExists: socket.nsp.adapter.rooms.has(socket.id),
            sidsHas: socket.nsp.adapter.sids.has(socket.id),
          };
        });
      });
    },
    async run(ctx) {
      const a = await ctx.connect("/", { auth: { name: "a" } });
      a.disconnect();
      const gone = await waitFor(() => ctx.shared.soloGone);
      const sockets = await ctx.servers[0].in("solo").fetchSockets();
      const all = await ctx.servers[0].fetchSockets();
      return { gone, inSolo: sockets.length, all: all.length };
    },
  },
  {
    name: "adapter events for one socket: create-room, join-room, leave-room, delete-room",
    setup(io, shared) {
      nameSockets(io, shared);
      shared.events = [];
      const adapter = io.of("/").adapter;
      adapter.on("create-room", (room: string) => shared.events.push(["create-room", label(room, undefined, shared)]));
      adapter.on("join-room", (room: string, id: string) => shared.events.push(["join-room", label(room, undefined, shared), shared.names[id]]));
      adapter.on("leave-room", (room: string, id: string) => shared.events.push(["leave-room", label(room, undefined, shared), shared.names[id]]));
      adapter.on("delete-room", (room: string) => shared.events.push(["delete-room", label(room, undefined, shared)]));
      io.on("connection", (socket) => {
        shared.events.push(["connection", socket.handshake.auth.name]);
        socket.join("r1");
        socket.join(["r1", "r2"]);
        socket.on("leave", (room: string, ack: () => void) => {
          socket.leave(room);
          ack();
        });
        socket.on("disconnect", () => shared.events.push(["disconnect", socket.handshake.auth.name]));
      });
    },
    async run(ctx) {
      const a = await ctx.connect("/", { auth: { name: "a" } });
      await a.emitWithAck("leave", "r1");
      await a.emitWithAck("leave", "never-joined");
      a.disconnect();
      await waitFor(() => ctx.shared.events.some((e: string[]) => e[0] === "disconnect"));
      return ctx.shared.events;
    },
  },
  {
    name: "adapter join-room and leave-room for several sockets sharing a room",
    setup(io, shared) {
      nameSockets(io, shared);
      shared.joins = {};
      const adapter = io.of("/").adapter;
      const log = (kind: string) => (room: string, id: string) => {
        const name = shared.names[id];
        if (room === id) return; // the own-id room, covered elsewhere
        (shared.joins[name] ??= []).push(`${kind} ${room}`);
      };
      adapter.on("join-room", log("join"));
      adapter.on("leave-room", log("leave"));
      io.on("connection", (socket) => {
        socket.on("join", (room: string, ack: () => void) => {
          socket.join(room);
          ack();
        });
        socket.on("leave", (room: string, ack: () => void) => {
          socket.leave(room);
          ack();
        });
        socket.on("disconnect", () => (shared.gone = (shared.gone ?? 0) + 1));
      });
    },
    async run(ctx) {
      const a = await ctx.connect("/", { auth: { name: "a" } });
      const b = await ctx.connect("/", { auth: { name: "b" } });
      const c = await ctx.connect("/", { auth: { name: "c" } });
      await a.emitWithAck("join", "shared");
      await b.emitWithAck("join", "shared");
      await c.emitWithAck("join", "other");
      await a.emitWithAck("leave", "shared");
      await c.emitWithAck("join", "shared");
      b.disconnect();
      c.disconnect();
      await waitFor(() => ctx.shared.gone === 2);
      return ctx.shared.joins;
    },
  },
  {
    name: "rooms are per namespace",
    setup(io) {
      for (const nsp of ["/", "/x"]) {
        io.of(nsp).on("connection", (socket) => {
          socket.on("join", (room: string, ack: () => void) => {
            socket.join(room);
            ack();
          });
          socket.on("rooms", (ack: (r: string[]) => void) => ack(roomsOf(socket)));
          socket.on("count", async (room: string, ack: (n: number) => void) => ack((await socket.nsp.in(room).fetchSockets()).length));
        });
      }
    },
    async run(ctx) {
      const main = await ctx.connect("/");
      // the same connection, multiplexed
      const x = main.io.socket("/x");
      await new Promise((resolve) => (x.connected ? resolve(null) : x.once("connect", () => resolve(null))));
      await main.emitWithAck("join", "r");
      const out = {
        mainRooms: await main.emitWithAck("rooms"),
        xRooms: await x.emitWithAck("rooms"),
        mainCount: await main.emitWithAck("count", "r"),
        xCount: await x.emitWithAck("count", "r"),
        sameIdAcrossNamespaces: main.id === x.id,
      };
      x.disconnect();
      return out;
    },
  },
]);
