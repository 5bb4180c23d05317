import { createApp } from 'vue'
import App from './App.vue'
import { i18n } from './i18n'
import { buildRouter } from './router'
import './styles.css'
import './results.css'

const router = buildRouter()

createApp(App).use(i18n).use(router).mount('#app')
