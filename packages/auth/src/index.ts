// Use cases of accounts and sessions (login, refresh, logout), shared by the API and the pages.
export {}
