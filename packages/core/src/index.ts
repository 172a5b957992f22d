export * from './errors.ts'
export * from './password.ts'
