// `npm run demo`: the authorization server and the demo page, until Ctrl-C.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_ID, startIdp } from "./idp.mjs";
import { startStatic } from "./static.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const demoPort = Number(process.env.DEMO_PORT || 5173);
const appOrigin = `http://localhost:${demoPort}`;

try {
  const idp = await startIdp({ appOrigin });
  const web = await startStatic({
    port: demoPort,
    roots: { "/": join(root, "www"), "/pkg/": join(root, "pkg") },
    issuer: idp.issuer,
    clientId: CLIENT_ID,
  });
  console.log(`
  spa-oauth demo

  Open        ${web.url}/
  Log in as   any name, any password (the server's development login page)
  Server      ${idp.issuer}  (oidc-provider, client_id "${CLIENT_ID}")

  Ctrl-C stops both servers.
`);
  const stop = async () => {
    await Promise.all([web.close(), idp.close()]);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (e) {
  console.error(`demo: ${e.message}`);
  process.exit(1);
}
