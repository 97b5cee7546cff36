/**
 * The bench application, identical on every target: echo with ack (any payload, binary too) and
 * joining the bench room.
 */
import type { Server as SocketIOServer } from "socket.io";
import { EVENTS, ROOM } from "./protocol";

export function installApp(io: SocketIOServer): void {
  io.on("connection", (socket) => {
    socket.on(EVENTS.echo, (data: unknown, ack: (d: unknown) => void) => ack(data));
    socket.on(EVENTS.join, (ack: () => void) => {
      void socket.join(ROOM);
      ack();
    });
  });
}
