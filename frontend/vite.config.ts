import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// The SPA is served by the backend on the same origin as /api in production.
// The proxy below only applies to `npm run dev`.
export default defineConfig({
  base: '/',
  plugins: [vue()],
  // vue-i18n: Composition API only, no devtools hooks in the bundle.
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  server: {
    proxy: {
      '/api': {
        target: 'http://127.0.0.1:8000',
        changeOrigin: false,
      },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
})
