import { createApp } from "vue";
import { createAuth } from "spa-oauth/vue";
import { config } from "./auth";
import App from "./App.vue";

createApp(App).use(createAuth(config)).mount("#app");
