/**
 * A typed Socket.IO app written against socket.io-cluster's exports. It is type-checked by
 * test/types.test.ts: it must compile, and the lines marked @ts-expect-error must not.
 */
import { createServer } from "http";
import { Server, Socket, Namespace, RemoteSocket, BroadcastOperator, DefaultEventsMap } from "socket.io-cluster";
import { ClusterOptionsError, CodecError, RedisRefusedError, RelayEngine, SocketIoClusterError } from "socket.io-cluster";

interface ClientToServerEvents {
  hello: (name: string, ack: (greeting: string) => void) => void;
}
interface ServerToClientEvents {
  greeting: (text: string, at: number) => void;
  withAck: (n: number, ack: (doubled: number) => void) => void;
}
interface InterServerEvents {
  ping: (from: string) => void;
}
interface SocketData {
  user: { name: string };
}

const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(createServer(), {
  cluster: { redis: "redis://localhost:6379", prefix: "typed" },
  connectionStateRecovery: {},
});

io.on("connection", (socket: Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>) => {
  socket.on("hello", (name, ack) => {
    socket.data.user = { name };
    ack(`hi ${name}`);
  });
  socket.emit("greeting", "welcome", Date.now());
  // @ts-expect-error wrong argument type
  socket.emit("greeting", 42, 1);
  // @ts-expect-error unknown event
  socket.emit("nope");
  void socket.timeout(1000).emitWithAck("withAck", 2).then((n: number) => n * 2);
});

io.on("ping", (from: string) => from.toUpperCase());
io.serverSideEmit("ping", "me");
// @ts-expect-error inter-server event with the wrong payload
io.serverSideEmit("ping", 1);

const room: BroadcastOperator<ServerToClientEvents, SocketData> = io.to("room").except("other");
room.emit("greeting", "all", 1);
void io.fetchSockets().then((sockets: RemoteSocket<ServerToClientEvents, SocketData>[]) => sockets.map((s) => s.data.user.name));
const nsp: Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData> = io.of("/admin");
nsp.use((socket, next) => next(socket.handshake.auth.token ? undefined : new Error("no token")));

const plain = new Server<DefaultEventsMap>();
plain.emit("anything", 1, "two");
void io.handOver;

// the named errors, for callers to catch
void io.ready().catch((err: unknown) => {
  if (err instanceof RedisRefusedError) {
    const reason: "credentials" | "permission" = err.reason;
    return reason;
  }
  const ours: boolean = err instanceof SocketIoClusterError || err instanceof ClusterOptionsError || err instanceof CodecError;
  return ours;
});

// members marked @internal are not in the published declarations
// @ts-expect-error internal: the legacy API's way to the transport
io._transport();
declare const engine: RelayEngine;
// @ts-expect-error internal: the relay engine's write order
engine._mustWait();
engine.clients.forEach((conn) => {
  // @ts-expect-error internal: frames from the io-node
  conn._onData("4hi");
  return conn.id;
});
export {};
