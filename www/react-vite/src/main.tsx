import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { AuthProvider } from "spa-oauth/react";
import { config } from "./auth";
import { App } from "./App";

// StrictMode runs effects twice: the callback is still redeemed once.
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AuthProvider config={config}>
      <App />
    </AuthProvider>
  </StrictMode>,
);
