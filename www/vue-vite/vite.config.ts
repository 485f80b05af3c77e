import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Only Vue's plugin: spa-oauth's WebAssembly needs none.
export default defineConfig({ plugins: [vue()] });
