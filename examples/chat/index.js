// A small multi-user chat, written against the plain Socket.IO server API.
// Run it alone (`node index.js`) or as a local cluster (`npx socket.io-cluster dev index.js`).
const http = require("http");
const fs = require("fs");
const path = require("path");
const { Server } = require("socket.io-cluster"); // with plain Socket.IO: require("socket.io")

const PORT = Number(process.env.PORT) || 3000;
const PUBLIC_DIR = path.join(__dirname, "public");

// the page's three files, and nothing else: no path from a URL ever reaches the file system
const PAGES = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/main.js": ["main.js", "text/javascript; charset=utf-8"],
  "/style.css": ["style.css", "text/css; charset=utf-8"],
};

const httpServer = http.createServer((req, res) => {
  const page = PAGES[req.url.split("?")[0]];
  if (!page) {
    res.writeHead(404, { "Content-Type": "text/plain" });
    return res.end("Not Found");
  }
  fs.readFile(path.join(PUBLIC_DIR, page[0]), (err, body) => {
    if (err) {
      res.writeHead(500, { "Content-Type": "text/plain" });
      return res.end("Internal Server Error");
    }
    res.writeHead(200, { "Content-Type": page[1] });
    res.end(body);
  });
});

const io = new Server(httpServer);

// people logged in, counted per process as in the classic demo
let numUsers = 0;

io.on("connection", (socket) => {
  let username;

  socket.on("add user", (name) => {
    if (username !== undefined || typeof name !== "string" || !name.trim()) return;
    username = name.trim().slice(0, 32);
    numUsers++;
    socket.emit("login", { numUsers });
    socket.broadcast.emit("user joined", { username, numUsers });
  });

  socket.on("new message", (message) => {
    if (username === undefined || typeof message !== "string") return;
    socket.broadcast.emit("new message", { username, message: message.slice(0, 2000) });
  });

  socket.on("typing", () => {
    if (username !== undefined) socket.broadcast.emit("typing", { username });
  });

  socket.on("stop typing", () => {
    if (username !== undefined) socket.broadcast.emit("stop typing", { username });
  });

  socket.on("disconnect", () => {
    if (username === undefined) return;
    numUsers--;
    socket.broadcast.emit("user left", { username, numUsers });
  });
});

httpServer.listen(PORT, () => {
  console.log(`chat listening on http://localhost:${PORT}`);
});
