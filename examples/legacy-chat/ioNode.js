// An io-node of the original chat example: it holds the browsers' connections and relays them to the
// app-nodes through Redis. It also serves the page, so that it can be used without a frontend.
//   node ioNode.js -p 8081 [--public-address chat.example.com:8081]
var cluster = require('socket.io-cluster'),
    http = require('http'),
    parseArgs = require('util').parseArgs,
    servePages = require('./pages'),
    config = require('./config');

var options = parseArgs({
    options: {
        port: { type: 'string', short: 'p' },
        'public-address': { type: 'string' } // host:port browsers use, when not this machine's name
    }
}).values;

var port = Number(options.port || config.HTTP_PORT);

// What the frontend tells browsers to connect to. The original's IO_SERVERS gave each io-node's
// external host; without one (or --public-address) it is the bound address, localhost:<port>.
var listed = config.IO_SERVERS.filter(function (s) { return Number(s.port) === port && s.external; })[0];
var publicAddress = options['public-address'] || (listed ? listed.external + ':' + port : undefined);

var server = http.createServer(servePages);
server.listen(port);

var ioNode = cluster.makeIoListener(server, config, {
    publicAddress: publicAddress,
    // the page comes from the frontend, another origin: let it connect
    cors: { origin: true }
});

server.on('listening', function () {
    console.log('io-node listening on http://localhost:' + server.address().port +
        (publicAddress ? ' (browsers reach it as ' + publicAddress + ')' : ''));
});

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
function stop() {
    ioNode.close().finally(function () {
        server.closeAllConnections();
        server.close();
        process.exit(0);
    });
}
