// What operators watch: gauges read at scrape time, and the worker's counters kept in Redis (shared by every worker
// process, so one scrape of the API gives the whole installation's totals).
import { crossTenant, type DB } from '@relais/db'
import { operationsGauges, type OperationsGauges } from '@relais/db/repositories/operations'

export type { OperationsGauges }

export function readOperationsGauges(db: DB, now: Date): Promise<OperationsGauges> {
  return operationsGauges(crossTenant(db), now)
}

/** The worker's counters: what it did, by kind. */
export const WORKER_COUNTERS = ['mails_sent', 'mails_failed', 'mails_retried', 'mails_cancelled', 'sla_steps'] as const
export type WorkerCounter = (typeof WORKER_COUNTERS)[number]
/** The Redis hash that holds them, under the installation's prefix. */
export const workerCountersKey = (prefix: string) => `${prefix}:metrics:worker`
