// Loaded as a module from 'self' so the CSP needs no inline script but the
// one hashed line in base.html that marks the page as JavaScript-enabled.
import { initAll } from '/static/govuk-frontend/dist/govuk/govuk-frontend.min.js'
initAll()
