/*!
 * socket.io-cluster client helper: connect to the least loaded live io-node of a socket.io-cluster,
 * and move to another live io-node when that one fails.
 *
 * Browser (after /socket.io/socket.io.js, which defines the global `io`):
 *   <script src="/socket.io/socket.io.js"></script>
 *   <script src="/socket.io-cluster.js"></script>
 *   <script>
 *     const socket = SocketIoCluster.connect();          // asks this page's frontend for io-nodes
 *     socket.on("chat", (msg) => console.log(msg));
 *   </script>
 *
 * Node.js (uses require("socket.io-client")):
 *   const { connect } = require("socket.io-cluster/client");
 *   const socket = connect({ frontend: "http://frontend:8080", auth: { token } });
 *
 * connect() returns the ordinary socket.io-client Socket, created on a Manager of its own. Nothing
 * is re-bound because nothing is replaced: when the io-node goes away, Socket.IO's own reconnection
 * runs as usual, and before each attempt the Manager is pointed at the next live io-node. So your
 * handlers, buffered emits, `socket.io.on("reconnect", ...)`, `reconnectionDelay`,
 * `reconnectionAttempts` and connection state recovery (`socket.recovered`) all keep working.
 * `reconnection: false` turns failover off, as it turns reconnection off in Socket.IO.
 *
 * A `connect_error` sent by the server's middleware (an error with `data`) is the application's
 * answer, the same on every io-node: as in Socket.IO, the socket then stops; call `socket.connect()`
 * to try again.
 *
 * No build step: this file is served as is by frontend-nodes at /socket.io-cluster.js.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory(function () {
      return require("socket.io-client");
    });
  } else {
    root.SocketIoCluster = factory(function () {
      return root.io;
    });
  }
})(typeof self !== "undefined" ? self : this, function (loadIo) {
  "use strict";

  var DEFAULT_CONFIG_PATH = "/config.json";
  /** An io-node that failed is skipped this long, unless every io-node failed. */
  var DEFAULT_AVOID_FAILED_MS = 30000;
  var FETCH_TIMEOUT_MS = 5000;
  var OWN_OPTIONS = ["frontend", "servers", "namespace", "configPath", "avoidFailedFor", "onServer"];

  function isBrowser() {
    return typeof window !== "undefined" && typeof location !== "undefined";
  }

  /** "host:port", "http://host:port" or { host, port, secure } to { host, port, secure, url }. */
  function normalizeServer(server, secureDefault) {
    var host, port, secure;
    if (typeof server === "string") {
      var url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : (secureDefault ? "https://" : "http://") + server);
      host = url.hostname;
      secure = url.protocol === "https:" || url.protocol === "wss:";
      port = Number(url.port) || (secure ? 443 : 80);
    } else if (server && typeof server === "object" && server.host) {
      host = String(server.host);
      port = Number(server.port) || (server.secure || secureDefault ? 443 : 80);
      secure = server.secure !== undefined ? !!server.secure : !!secureDefault;
    } else {
      return null;
    }
    // a bare IPv6 address needs brackets in a URL
    var urlHost = host.indexOf(":") >= 0 && host.charAt(0) !== "[" ? "[" + host + "]" : host;
    var out = { host: host, port: port, secure: secure, url: (secure ? "https://" : "http://") + urlHost + ":" + port };
    if (server && typeof server === "object") {
      if (server.id) out.id = server.id;
      if (typeof server.connections === "number") out.connections = server.connections;
    }
    return out;
  }

  function normalizeList(list, secureDefault) {
    var out = [];
    for (var i = 0; list && i < list.length; i++) {
      var s = normalizeServer(list[i], secureDefault);
      if (s) out.push(s);
    }
    return out;
  }

  /**
   * The live io-nodes a frontend lists at /config.json, least loaded first.
   *
   * @example
   * SocketIoCluster.fetchServers("http://frontend:8080").then(console.log);
   */
  function fetchServers(frontend, configPath) {
    if (typeof fetch !== "function") return Promise.reject(new Error("socket.io-cluster: fetch() is not available (Node.js >= 18 or a browser is needed)"));
    var base = frontend || (isBrowser() ? location.href : undefined);
    if (!base) return Promise.reject(new Error("socket.io-cluster: no frontend URL given"));
    var url = new URL(configPath || DEFAULT_CONFIG_PATH, base);
    var secureDefault = url.protocol === "https:";
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, FETCH_TIMEOUT_MS) : null;
    return fetch(url.toString(), { cache: "no-store", signal: controller ? controller.signal : undefined })
      .then(function (res) {
        if (!res.ok) throw new Error("socket.io-cluster: " + url + " answered " + res.status);
        return res.json();
      })
      .then(function (body) {
        var list = body && Array.isArray(body.servers) ? body.servers : Array.isArray(body) ? body : null;
        if (!list) throw new Error("socket.io-cluster: " + url + " is not a server list");
        return normalizeList(list, secureDefault);
      })
      .finally(function () {
        if (timer) clearTimeout(timer);
      });
  }

  /**
   * Connects to the first live io-node and fails over to the next one. Options: those of
   * socket.io-client's io(), plus:
   * - `frontend`: URL of a frontend-node (default in a browser: this page's origin, unless
   *   `servers` is given); its /config.json is read at start and before each failover.
   * - `servers`: io-nodes to use, e.g. `SOCKET_SERVERS` from /config.js, `["host:8081"]` or
   *   `[{ host, port }]`. With `frontend` too, they are the list until the frontend answers.
   * - `namespace`: default "/".
   * - `configPath`: default "/config.json".
   * - `avoidFailedFor`: ms an io-node that failed is skipped (default 30000).
   * - `onServer(server)`: called with `{ host, port, url, id? }` before each connection attempt.
   *
   * The returned socket has a `cluster` property: `{ server, servers, refresh() }`.
   *
   * @example
   * const socket = SocketIoCluster.connect({ frontend: "https://chat.example", auth: { token } });
   * socket.on("connect", () => console.log("on", socket.cluster.server.url));
   */
  function connect(options) {
    var opts = {};
    var own = {};
    for (var key in options || {}) {
      if (!Object.prototype.hasOwnProperty.call(options, key)) continue;
      if (OWN_OPTIONS.indexOf(key) >= 0) own[key] = options[key];
      else opts[key] = options[key];
    }
    var lib = loadIo();
    if (!lib || typeof lib.Manager !== "function") {
      throw new Error("socket.io-cluster: socket.io-client not found (load /socket.io/socket.io.js first, or install socket.io-client)");
    }
    var frontend = own.frontend || (!own.servers && isBrowser() ? location.origin : undefined);
    var secureDefault = frontend ? /^https:/i.test(frontend) : isBrowser() && location.protocol === "https:";
    var servers = normalizeList(own.servers, secureDefault);
    if (!frontend && servers.length === 0) throw new Error("socket.io-cluster: give a `frontend` URL or a non-empty `servers` list");
    var avoidFailedFor = own.avoidFailedFor === undefined ? DEFAULT_AVOID_FAILED_MS : own.avoidFailedFor;

    var userAutoConnect = opts.autoConnect !== false;
    opts.autoConnect = false;
    var manager = new lib.Manager(opts);
    var socket = manager.socket(own.namespace || "/", opts);

    var failedAt = {}; // url -> ms
    var current = null;
    var refreshing = null;
    var waitTimer = null;
    var waitAttempts = 0;
    /** Whether the app wants a connection: false after socket.disconnect() until socket.connect(). */
    var wanted = false;

    function refresh() {
      if (!frontend) return Promise.resolve(servers);
      if (!refreshing) {
        refreshing = fetchServers(frontend, own.configPath)
          .then(function (list) {
            servers = list;
            return list;
          }, function (err) {
            // keep the last known list: the frontend may be down while io-nodes are fine
            return servers.length > 0 ? servers : Promise.reject(err);
          })
          .finally(function () {
            refreshing = null;
          });
      }
      return refreshing;
    }

    /** The first listed io-node that has not failed lately; else the one that failed longest ago. */
    function choose() {
      var now = Date.now();
      var best = null;
      for (var i = 0; i < servers.length; i++) {
        var s = servers[i];
        var failed = failedAt[s.url];
        if (failed === undefined || now - failed > avoidFailedFor) return s;
        if (!best || failed < failedAt[best.url]) best = s;
      }
      return best;
    }

    function point(server) {
      current = server;
      // the Manager builds a new Engine.IO client from this URI on each (re)connection
      manager.uri = server.url;
      if (typeof own.onServer === "function") own.onServer(server);
    }

    function markFailed() {
      if (current) failedAt[current.url] = Date.now();
      // ahead of the next attempt, so that it can use a fresh list
      refresh().catch(function () {});
    }

    /** Delay before retrying when there is no io-node to try, growing as Socket.IO's backoff does. */
    function waitDelay() {
      var ms = Math.min(manager.reconnectionDelay() * Math.pow(2, waitAttempts), manager.reconnectionDelayMax());
      var jitter = manager.randomizationFactor();
      return Math.round(ms * (1 - jitter + 2 * jitter * Math.random()));
    }

    /** Reads the list and connects to the best io-node; without any, reports it and retries later. */
    function start() {
      clearTimeout(waitTimer);
      refresh()
        .then(function () {
          var server = choose();
          if (!server) throw new Error("socket.io-cluster: no live io-node");
          if (!wanted) return;
          waitAttempts = 0;
          point(server);
          connectNow();
        })
        .catch(function (err) {
          if (!wanted) return;
          // as Socket.IO reports a failed attempt; then retry like its reconnection would
          socket.emitReserved("connect_error", err);
          if (!manager.reconnection()) return;
          if (waitAttempts >= manager.reconnectionAttempts()) {
            manager.emitReserved("reconnect_failed");
            return;
          }
          waitTimer = setTimeout(start, waitDelay());
          waitAttempts++;
        });
    }

    var connectNow = socket.connect.bind(socket);
    // the first connect() needs a server list; later ones go where the last attempt went
    socket.connect = socket.open = function () {
      wanted = true;
      if (!current) start();
      else connectNow();
      return socket;
    };
    manager.on("error", markFailed); // an attempt failed (unreachable, refused, timeout)
    manager.on("close", function (reason) {
      if (reason === "forced close") {
        // the socket was disconnected on purpose (by the app or by the server): no failover
        wanted = false;
        clearTimeout(waitTimer);
        return;
      }
      markFailed();
    });
    // Socket.IO's reconnection loop: each attempt goes to the best io-node known by then
    manager.on("reconnect_attempt", function () {
      var server = choose();
      if (server) point(server);
    });
    socket.on("connect", function () {
      if (current) delete failedAt[current.url];
    });

    socket.cluster = {
      /** The io-node of the current (or last) connection attempt: { host, port, url, id? }. */
      get server() {
        return current;
      },
      /** The last known list of live io-nodes, least loaded first. */
      get servers() {
        return servers.slice();
      },
      /** Reads the frontend's list again. */
      refresh: refresh,
    };
    if (userAutoConnect) socket.connect();
    return socket;
  }

  return { connect: connect, fetchServers: fetchServers };
});
