import { Queue, Worker, type ConnectionOptions } from 'bullmq'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { createKysely, createPool, type DB } from '@relais/db'
import { accountLinkKey } from '@relais/db/credentials'
import { QUEUE_NAMES, redisConnectionOptions, replyDomain, timelineKeyring, type Config } from '@relais/config'
import { appendSentEvents, remindAppointments, deliverOutbox, sentMarks, replyKey, publishChainHeads, relayOutbox, runRecomputes, runRetention, runSlaStepJob, sweepSla, useTimelineKeys, workerCountersKey, type WorkerCounter } from '@relais/referrals'
import { createMailTransport } from '@relais/mail/transport'
import { remindStaleFiches } from '@relais/knowledge/review'

export interface WorkerOptions {
  clock?: () => Date
  /** How often the outbox relay looks for mails to hand to BullMQ. */
  relayIntervalMs?: number
  /** How often sent mails are put on their referrals' timelines (default: the relay's interval). */
  timelineIntervalMs?: number
  /** How often the SLA sweep looks for due reminders and escalations (and schedules the next ones). */
  sweepIntervalMs?: number
  /** How often appointments due for their reminder are looked for (default 5 minutes). */
  appointmentReminderIntervalMs?: number
  /** How often the worker looks for deadlines to recompute after a policy change (the request did the first batch). */
  recomputeIntervalMs?: number
  /** How often citizens' data past retention are looked for (default hourly). */
  retentionIntervalMs?: number
  /** How often the worker looks for tenants whose chain heads of the day are not published yet (once a day each). */
  headsIntervalMs?: number
  /** How often the worker looks for published fiches past their review-by date not yet reminded (once per period each). */
  reviewIntervalMs?: number
  /** How long a relayed mail may wait in BullMQ before the relay hands it over again (Redis lost it?). */
  relayGraceSeconds?: number
  /** How long a sending worker keeps its claim on a mail. */
  claimSeconds?: number
  concurrency?: number
  /** BullMQ lock of an active job: after this, a job of a dead worker is handed to another. */
  lockDurationMs?: number
  /** false: relay and sweep only, no job is taken (a test holds jobs in Redis this way). */
  processJobs?: boolean
  log: Logger
}

export const [MAIL_QUEUE, SLA_QUEUE] = QUEUE_NAMES

/** Starts the outbox relay, the mail processor and the SLA sweep in this process. */
export async function startWorker(config: Config, opts: WorkerOptions) {
  const clock = opts.clock ?? (() => new Date())
  useTimelineKeys(timelineKeyring(config))
  const log = opts.log
  const pool = createPool(config.APP_DATABASE_URL, config.WORKER_POOL_MAX)
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database client error'))
  const db: DB = createKysely(pool)
  // Workers keep ioredis' offline queue: without it, a restarted Redis made BullMQ's fetch loop spin on
  // rejected commands and starve the process (seen in the fault run). Producers fail fast instead.
  const connection: ConnectionOptions = redisConnectionOptions(config.REDIS_URL)
  const producer: ConnectionOptions = { ...connection, enableOfflineQueue: false }
  const prefix = config.REDIS_PREFIX
  const mailQueue = new Queue(MAIL_QUEUE, { connection: producer, prefix })
  const slaQueue = new Queue(SLA_QUEUE, { connection: producer, prefix })
  mailQueue.on('error', (err) => log.warn({ err: err.message }, 'mail queue error'))
  slaQueue.on('error', (err) => log.warn({ err: err.message }, 'sla queue error'))
  const transport = createMailTransport(config.SMTP_URL ?? 'smtp://127.0.0.1:1025', config.MAIL_FROM)
  const claimSeconds = opts.claimSeconds ?? 30
  const linkKey = accountLinkKey(config.JWT_SECRET)
  // Replies by email (issue 15): referral mails to a person carry her reply address.
  const domain = replyDomain(config)
  const reply = domain ? { key: replyKey(config.TIMELINE_HMAC_KEY), domain } : null

  // Operators' counters (/metrics), shared by every worker process; lost increments during a Redis outage are
  // acceptable, a worker waiting on them is not: no offline queue, errors ignored.
  const counters = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 })
  counters.on('error', () => undefined)
  const countersKey = workerCountersKey(prefix)
  const count = (event: WorkerCounter, n = 1) => { if (n > 0) counters.hincrby(countersKey, event, n).catch(() => undefined) }
  const OUTCOME_COUNTERS: Record<string, WorkerCounter> = { sent: 'mails_sent', failed: 'mails_failed', retry: 'mails_retried', cancelled: 'mails_cancelled' }

  const autorun = opts.processJobs ?? true
  /** What this process did, for operators (logged at close) and the scale-out test. */
  const stats = { mailsSent: 0, slaSteps: 0, relayed: 0, ficheReminders: 0 }
  /** Sends of this process recorded together (group commit), each job still waiting for its own. */
  const sent = sentMarks(db)
  const mailWorker = new Worker(MAIL_QUEUE, async (job) => {
    const { outboxId, tenantId } = job.data as { outboxId: string; tenantId: string }
    const outcome = await deliverOutbox(db, { outboxId, tenantId, now: clock, claimSeconds, transport, publicUrl: config.PUBLIC_URL, log, retryHours: config.MAIL_RETRY_HOURS, linkKey, reply, sent })
    if (outcome === 'sent') stats.mailsSent++
    if (OUTCOME_COUNTERS[outcome]) count(OUTCOME_COUNTERS[outcome])
    return outcome
  }, { connection, prefix, autorun, concurrency: opts.concurrency ?? 8, lockDuration: opts.lockDurationMs ?? 30_000, stalledInterval: opts.lockDurationMs ?? 30_000 })
  mailWorker.on('error', (err) => log.warn({ err: err.message }, 'mail worker error'))

  const slaWorker = new Worker(SLA_QUEUE, async (job) => {
    const { referralId, tenantId, step } = job.data as { referralId: string; tenantId: string; step: string }
    const done = await runSlaStepJob(db, { tenantId, referralId, step }, clock())
    if (done) { stats.slaSteps++; count('sla_steps') }
    return done
  }, { connection, prefix, autorun, concurrency: 4 })
  slaWorker.on('error', (err) => log.warn({ err: err.message }, 'sla worker error'))

  let stopping = false
  const relayGraceSeconds = opts.relayGraceSeconds ?? 30

  /** Outbox → BullMQ. The jobId makes a repeated hand-over a no-op while the job is still stored. */
  function relayOnce(): Promise<number> {
    return relayOutbox(db, clock, relayGraceSeconds, async (due) => {
      try {
        await mailQueue.addBulk(due.map((row) => ({
          name: 'send', data: { outboxId: row.id, tenantId: row.tenant_id },
          opts: { jobId: `outbox-${row.id}-${row.attempts}`, removeOnComplete: true, removeOnFail: true, attempts: 1 },
        })))
        stats.relayed += due.length
        return true
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'relay: redis unavailable, will retry')
        return false
      }
    })
  }

  /** Sent mails onto their referrals' timelines ("mail_sent"), a batch of a few statements at a time. */
  function timelineOnce(): Promise<number> {
    return appendSentEvents(db)
  }

  /** Due steps are run here; steps due before the next sweep get a delayed job so they run on time. */
  async function sweepOnce(): Promise<number> {
    const now = clock()
    const horizon = new Date(now.getTime() + (opts.sweepIntervalMs ?? 60_000))
    const done = await sweepSla(db, now, horizon, async (row) => {
      await slaQueue.add('step', { referralId: row.id, tenantId: row.tenant_id, step: row.next_step }, {
        jobId: `sla-${row.id}-${row.next_step}`, delay: row.next_step_at.getTime() - now.getTime(), removeOnComplete: true, removeOnFail: true,
      }).catch(() => undefined)
    })
    stats.slaSteps += done
    count('sla_steps', done)
    return done
  }

  /** Each tenant's chain heads, signed, once a day: the unique (tenant, day) makes a second worker's try a no-op. */
  function publishHeadsOnce(): Promise<number> {
    return publishChainHeads(db, clock())
  }

  /** Deadlines of running clocks after a policy change, a batch (a few statements) at a time. */
  function recomputeOnce(): Promise<number> {
    return runRecomputes(db)
  }

  function loop(name: string, fn: () => Promise<number>, intervalMs: number) {
    let timer: NodeJS.Timeout | undefined
    let running: Promise<void> | undefined
    const tick = async () => {
      if (stopping) return
      running = (async () => {
        try {
          const n = await fn()
          if (n) log.debug({ n }, `${name} tick`)
        } catch (err) {
          log.warn({ err: (err as Error).message }, `${name} failed, will retry`)
        }
      })()
      await running
      if (!stopping) timer = setTimeout(tick, intervalMs)
    }
    timer = setTimeout(tick, 0)
    return async () => { if (timer) clearTimeout(timer); await running }
  }

  const stopRelay = loop('relay', relayOnce, opts.relayIntervalMs ?? 250)
  const stopTimeline = loop('mail_sent events', timelineOnce, opts.timelineIntervalMs ?? opts.relayIntervalMs ?? 250)
  const stopSweep = loop('sweep', sweepOnce, opts.sweepIntervalMs ?? 60_000)
  const stopHeads = loop('chain heads', publishHeadsOnce, opts.headsIntervalMs ?? 3_600_000)
  /** Stale fiches: each reminded once per review period (marked in the transaction that writes its mail). */
  const remindFichesOnce = async () => {
    const n = await remindStaleFiches(db, clock())
    stats.ficheReminders += n
    return n
  }
  const stopReviews = loop('fiche reviews', remindFichesOnce, opts.reviewIntervalMs ?? 3_600_000)
  const stopRecompute = loop('recompute', recomputeOnce, opts.recomputeIntervalMs ?? 1_000)
  /** Appointments: the citizen and the referent are reminded the working day before (issue 14). */
  const remindAppointmentsOnce = () => remindAppointments(db, clock())
  const stopAppointmentReminders = loop('appointment reminders', remindAppointmentsOnce, opts.appointmentReminderIntervalMs ?? 300_000)
  /** Citizens' data past their tenant's retention (issue 18): erased, the timelines still verifying. */
  const retentionOnce = async () => (await runRetention(db, { asOf: clock() })).referrals
  const stopRetention = loop('retention', retentionOnce, opts.retentionIntervalMs ?? 3_600_000)
  log.info('worker started')

  return {
    relayOnce, timelineOnce, sweepOnce, publishHeadsOnce, remindFichesOnce, recomputeOnce, remindAppointmentsOnce, retentionOnce, db, stats,
    async close() {
      stopping = true
      await Promise.all([stopRelay(), stopTimeline(), stopSweep(), stopHeads(), stopReviews(), stopRecompute(), stopAppointmentReminders(), stopRetention()])
      await Promise.allSettled([mailWorker.close(), slaWorker.close()])
      // The last sends of this process onto their timelines now rather than at the next worker's first pass.
      await timelineOnce().catch((err) => log.warn({ err: (err as Error).message }, 'mail_sent events left for the next worker'))
      await Promise.allSettled([mailQueue.close(), slaQueue.close()])
      transport.close()
      counters.disconnect()
      await pool.end()
    },
  }
}
