// The frontend of the original chat example: it serves the page, and at /config.js the io-nodes
// that are alive, least loaded first (var SOCKET_SERVERS = [{host, port}, ...]).
var cluster = require('socket.io-cluster'),
    http = require('http'),
    servePages = require('./pages'),
    config = require('./config');

var server = http.createServer(servePages);
server.listen(config.HTTP_PORT, config.HTTP_HOST, function () {
    console.log('frontend listening on http://localhost:' + config.HTTP_PORT);
});

var frontend = cluster.makeFrontendServer(server, config);

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
function stop() {
    frontend.close().finally(function () {
        server.closeAllConnections();
        server.close();
        process.exit(0);
    });
}
