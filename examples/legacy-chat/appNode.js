// The application of the original chat example: only the require line differs from 2011.
var cluster = require('socket.io-cluster'),
    config = require('./config');

var io = cluster.makeListener(config),
    buffer = [];

io.on('connection', function (client) {
    initialise(client);
    subscribeEvents(client);
});

// a client this app-node did not see connect (its app-node died or was redeployed)
io.on('no-client', subscribeEvents);

function initialise(client) {
    client.send({ buffer: buffer });
    client.broadcast({ announcement: client.sessionId + ' connected' });
}

function subscribeEvents(client) {
    client.on('message', function (message) {
        var msg = { message: [client.sessionId, message] };
        buffer.push(msg);
        if (buffer.length > 15) buffer.shift();
        client.broadcast(msg);
    });

    client.on('disconnect', function () {
        client.broadcast({ announcement: client.sessionId + ' disconnected' });
    });
}
