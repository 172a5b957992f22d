import { sql, type Kysely } from 'kysely'

// Stale fiches: past their review-by date, their organisation's admins get one reminder per review period
// (review_reminded_at, cleared when the review-by date changes). The worker serves every tenant: like outbox_claim and
// chain_heads_due, fiche_reviews_due() hands it only ids of due work, read and changed afterwards under RLS.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create index fiche_review_due on fiche (review_by) where status = 'published' and review_reminded_at is null;

    create function fiche_reviews_due(p_today date, p_limit integer)
      returns table (tenant_id uuid, id uuid)
      language sql stable security definer set search_path = public as
      $$ select f.tenant_id, f.id from fiche f
         where f.status = 'published' and f.review_reminded_at is null and f.review_by < p_today
         order by f.review_by, f.id limit p_limit $$;
    revoke all on function fiche_reviews_due(date, integer) from public;
    grant execute on function fiche_reviews_due(date, integer) to relais_app;
  `).execute(db)
}
