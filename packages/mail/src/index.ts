// The French notification mails (templates, rendering) and the SMTP transport.
// The test/local mail sink is imported on its own, as '@relais/mail/sink', so that apps do not load smtp-server.
export * from './render.ts'
export * from './transport.ts'
export * from './calendar.ts'
