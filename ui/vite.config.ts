import { defineConfig } from 'vite';

// One build for both surfaces: Tauri loads it from ui/dist, `redscope serve` embeds it.
// Stable file names keep the Rust embed step cheap and predictable.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      output: {
        entryFileNames: 'assets/app.js',
        chunkFileNames: 'assets/[name].js',
        assetFileNames: 'assets/[name][extname]',
      },
    },
  },
  test: {
    environment: 'node',
  },
});
