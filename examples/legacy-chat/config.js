// The original's config, read by every node of the legacy chat. Environment variables win, so the
// one-command runner can place the nodes on free ports and a private Redis.
var config = exports;

config.HTTP_HOST = process.env.HTTP_HOST || '0.0.0.0'; // this is for frontend-node
config.HTTP_PORT = Number(process.env.HTTP_PORT) || 8080; // (and for io-node if we do not use frontend-node)

config.REDIS_HOST = process.env.REDIS_HOST || '127.0.0.1';
config.REDIS_PORT = Number(process.env.REDIS_PORT) || 6379;
config.REDIS_PASSWORD = process.env.REDIS_PASSWORD || undefined;
config.REDIS_DATABASE = Number(process.env.REDIS_DATABASE) || 0;

config.CLIENT_CONFIG_URL = '/config.js';

// the original listed io-nodes here; the frontend now lists the io-nodes that are alive
config.IO_SERVERS = [];
