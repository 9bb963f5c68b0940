import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { useErrorsStore } from './stores/errors'
import './styles/base.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)

// A bug in a component or an unhandled promise shows as a message instead of a blank window.
const errors = useErrorsStore(pinia)
app.config.errorHandler = (err) => errors.report('Unexpected error', err)
window.addEventListener('unhandledrejection', (event) =>
  errors.report('Unexpected error', event.reason)
)

app.mount('#app')
