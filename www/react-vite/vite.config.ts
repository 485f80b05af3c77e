import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Only React's plugin: spa-oauth's WebAssembly needs none.
export default defineConfig({ plugins: [react()] });
