import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { createWebHistory } from 'vue-router';
import AppRoot from './app-root.vue';
import { createAuthSession } from './features/auth/auth-session';
import { createApi } from './lib/api';
import { createAppRouter } from './router/create-app-router';
import './styles/main.css';

const app = createApp(AppRoot);
const pinia = createPinia();
// The built app is served by Tollgate itself (and Vite proxies /api in development): same origin.
const api = createApi({
  url: window.location.origin,
  session: createAuthSession(window.localStorage, window),
  locks: navigator.locks ?? null,
});

app.use(api);
app.use(pinia);
app.use(createAppRouter(createWebHistory(), pinia));
app.mount('#app');
