import { createApp } from 'vue'
import App from './App.vue'
import { buildRouter } from './router'
import './styles.css'
import './results.css'

const router = buildRouter()

createApp(App).use(router).mount('#app')
