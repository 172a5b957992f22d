export * from './fiches.ts'
export * from './search.ts'
export * from './review.ts'
export * from './from-answer.ts'
