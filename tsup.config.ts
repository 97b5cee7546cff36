import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", cli: "src/cli.ts" },
  format: ["cjs"],
  target: "node18",
  // members marked @internal stay out of the published declarations
  dts: { entry: { index: "src/index.ts" }, compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  splitting: false,
  // the frontend serves the browser/Node client helper as it is: plain JS, no build step
  onSuccess: "node -e \"require('fs').cpSync('src/frontend-node/client', 'dist/client', { recursive: true })\"",
  // like socket.io: require("socket.io-cluster")(httpServer, opts) is a server too
  footer: ({ format }) =>
    format === "cjs"
      ? { js: 'if (module.exports.Server) module.exports = Object.assign((srv, opts) => new module.exports.Server(srv, opts), module.exports);' }
      : {},
});
