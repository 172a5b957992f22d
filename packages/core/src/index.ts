export * from './errors.ts'
export * from './password.ts'
export * from './sla.ts'
