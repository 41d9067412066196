import { defineConfig } from "vite";

// Served by `weft serve` under /console/, every asset embedded in the binary:
// no CDN, nothing fetched from elsewhere at run time.
export default defineConfig({
  base: "/console/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2048,
  },
});
