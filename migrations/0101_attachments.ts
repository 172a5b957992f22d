import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// Attachments (issue 15): files kept in PostgreSQL itself, beside the referral they belong to, so that the same
// backups and the same tenant isolation (RLS, forced) cover them. A file is first stored « pending » (no event yet:
// uploaded before filing, or before an action) and then linked, once, to the referral and the timeline event it came
// with. The content never changes; the retention job may erase it (content emptied, erased_at set) with the
// citizen's other data.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table attachment (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      referral_id uuid references referral(id),
      event_seq integer,
      name text not null check (length(name) between 1 and 200),
      content_type text not null check (content_type ~ '^[a-z]+/[a-z0-9.+-]+$'),
      size integer not null check (size between 1 and 10485760),
      sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
      content bytea not null,
      added_by_person_id uuid not null references person(id),
      added_at timestamptz not null,
      -- How it came: a page or the API, or a reply by email.
      source text not null default 'upload' check (source in ('upload', 'mail')),
      erased_at timestamptz,
      check (erased_at is not null or octet_length(content) = size),
      check (event_seq is null or referral_id is not null),
      foreign key (referral_id, event_seq) references referral_event (referral_id, seq)
    );
    -- Already compressed formats for the most part: stored out of line, not compressed again.
    alter table attachment alter column content set storage external;
    create index attachment_referral on attachment (tenant_id, referral_id, event_seq);
    create index attachment_pending on attachment (tenant_id, added_by_person_id, added_at) where event_seq is null;
  `).execute(db)
  await enableTenantRls(db, 'attachment')
  // Insert and read; update only to link a pending file (referral, event) and to erase it (retention). No delete.
  await sql.raw(`grant select, insert, update (referral_id, event_seq, content, name, erased_at) on attachment to relais_app;`).execute(db)
}
