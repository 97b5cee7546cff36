// The pages of the chat, served by the frontend (and by an io-node, which can run without one).
var fs = require('fs'),
    path = require('path');

// the files a browser may ask for, and nothing else: no path from a URL ever reaches the file system
var PAGES = {
    '/': ['chat.html', 'text/html; charset=utf-8'],
    '/chat.html': ['chat.html', 'text/html; charset=utf-8']
};

module.exports = function servePages(req, res) {
    var page = PAGES[req.url.split('?')[0]];
    if (!page || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        return res.end('Not Found');
    }
    fs.readFile(path.join(__dirname, page[0]), function (err, body) {
        if (err) {
            res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
            return res.end('Internal Server Error');
        }
        res.writeHead(200, { 'Content-Type': page[1], 'Content-Length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
    });
};
