// The original's config, read by every node of the legacy chat. Environment variables win, so the
// one-command runner (npm run legacy-chat) can place the nodes on free ports and a private Redis.
var config = exports;

config.HTTP_HOST = process.env.HTTP_HOST || '0.0.0.0'; // this is for frontend-node
config.HTTP_PORT = Number(process.env.HTTP_PORT) || 8080; // (and for io-node if we do not use frontend-node)

config.REDIS_HOST = process.env.REDIS_HOST || '127.0.0.1';
config.REDIS_PORT = Number(process.env.REDIS_PORT) || 6379;
config.REDIS_PASSWORD = process.env.REDIS_PASSWORD || undefined;
config.REDIS_DATABASE = Number(process.env.REDIS_DATABASE) || 0;

config.CLIENT_CONFIG_URL = '/config.js';

// the original listed io-nodes here; the frontend now lists the io-nodes that are alive. An entry
// whose port is an io-node's still tells that io-node the host browsers reach it by:
//   { internal: '0.0.0.0', external: 'chat.example.com', port: 8081 }
config.IO_SERVERS = [];

// our keys: a Redis URL (wins over REDIS_HOST/...) and the cluster's key prefix, so that several
// clusters can share one Redis (default "sioc", or $SOCKET_IO_CLUSTER_PREFIX)
config.REDIS_URL = process.env.REDIS_URL || undefined;
config.PREFIX = process.env.CLUSTER_PREFIX || undefined;
