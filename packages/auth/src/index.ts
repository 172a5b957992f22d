// Use cases of accounts and sessions (login, refresh, logout, the access token's principal), shared by the API and
// the pages. HTTP stays out: the app sets cookies and headers from what these return.
export * from './sessions.ts'
export { LoginThrottle } from './throttle.ts'
export * from './accounts.ts'
