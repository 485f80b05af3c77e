import { useState } from "react";
import { useAuth } from "spa-oauth/react";
import { apiUrl } from "./auth";

export function App() {
  const { isLoading, isAuthenticated, user, error, login, logout, getAccessToken, clearError } = useAuth();
  const [api, setApi] = useState<{ status: number; body: unknown } | null>(null);

  async function callApi() {
    const token = await getAccessToken();
    const r = await fetch(apiUrl, { headers: { Authorization: `Bearer ${token}` } });
    setApi({ status: r.status, body: await r.json() });
  }

  if (isLoading) return <p id="status">Loading…</p>;
  return (
    <main data-ready="true">
      <h1>spa-oauth + React</h1>
      {error && (
        <p id="error" data-code={error.code} role="alert">
          {error.description} <button onClick={clearError}>Dismiss</button>
        </p>
      )}
      {isAuthenticated ? (
        <>
          <p id="status">Logged in as <span id="user">{user?.sub}</span>.</p>
          <button id="call-api" onClick={() => callApi().catch(() => {})}>Call the API</button>
          <button id="logout" onClick={() => logout({ postLogoutRedirectUri: window.location.origin + "/" }).catch(() => {})}>
            Log out
          </button>
          {api && <pre id="api-result" data-status={api.status}>{JSON.stringify(api.body, null, 2)}</pre>}
        </>
      ) : (
        <>
          <p id="status">Not logged in.</p>
          <button id="login" onClick={() => login({ returnTo: "/" }).catch(() => {})}>Log in</button>
        </>
      )}
    </main>
  );
}
