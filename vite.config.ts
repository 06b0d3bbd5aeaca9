import { defineConfig } from "vite";
import solid from "vite-plugin-solid";
import path from "node:path";

export default defineConfig({
  root: path.join(import.meta.dirname, "web"),
  plugins: [solid()],
  build: {
    outDir: path.join(import.meta.dirname, "web/dist"),
    emptyOutDir: true,
    target: "es2022",
    // The polyfill would be fine under CSP, but modern browsers do not need it.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      // Solid's JSX transform is most of any build of a Solid app, so the slow-plugin notice would print on every
      // loaded build (CI, a first `npm start`) with nothing to act on.
      checks: { bundlerTimings: false },
      // Solid and the router in one stable, cacheable chunk.
      output: { codeSplitting: { groups: [{ name: "vendor", test: /node_modules/ }] } },
    },
  },
  server: {
    proxy: { "/api": { target: process.env.FLIGHTDECK_URL ?? "http://localhost:8443", changeOrigin: false } },
  },
});
