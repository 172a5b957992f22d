export * from './fiches.ts'
export * from './search.ts'
