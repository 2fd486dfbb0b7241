// Where every table goes on a Citus cluster distributed by member id, and the violations of
// the rules (scripts/citus-rules.ts) the schema still has. `npm run -s check:citus` fails on a
// table missing here, on a violation not listed below, and on a listed one that no longer
// occurs: a new table must be classified, and the list can only shrink. docs/citus.md gives the
// distribution DDL this table stands for.
import type { KnownViolation, TableShape } from './citus-rules.js';

const distributed: TableShape = { kind: 'distributed' };
const reference: TableShape = { kind: 'reference' };
const local = (reason: string): TableShape => ({ kind: 'local', reason });

/** Every table of the schema. `member` is distributed on `id`, every other distributed table on `member_id`, co-located with it. */
export const citusTables: Record<string, TableShape> = {
  // The member and what is theirs: sharded by member, co-located with member.
  member: distributed,
  membership: distributed,
  membership_event: distributed,
  payment: distributed,
  payment_refund: distributed,
  payment_notification: { kind: 'distributed', note: 'a provider\'s notification about one member\'s payment' },
  entitlement: distributed,
  issued_token: distributed,
  redemption: distributed,
  redemption_void: distributed,
  membership_card: distributed,
  member_birthday: distributed,
  member_messaging_preference: distributed,
  member_moment: distributed,
  member_notification: distributed,
  member_segment: distributed,
  member_segment_change: distributed,
  member_segment_score: distributed,
  member_tier: distributed,
  tier_change: distributed,
  tier_qualifying_month: distributed,
  test_clock_member: distributed,
  activity: distributed,
  campaign_grant: distributed,
  campaign_benefit_grant: distributed,
  points_account: distributed,
  points_journal: distributed,
  points_lot: distributed,
  points_transfer: distributed,
  reward_redemption: distributed,

  // The catalog: small, read on every node, written by product managers and the seed.
  partner: reference,
  partner_api_key: reference,
  channel_api_key: reference,
  benefit: reference,
  bundle: reference,
  bundle_version: reference,
  bundle_benefit: reference,
  plan: reference,
  campaign: reference,
  loyalty_program: reference,
  loyalty_tier: reference,
  loyalty_tier_benefit: reference,
  loyalty_reward: reference,
  segment_config: reference,
  catalog_version: { kind: 'reference', note: 'one row the catalog\'s triggers (partner, benefit, plan) bump; processes read it to drop cached catalog' },
  test_clock: { kind: 'reference', note: 'development and test only; member-scoped rows name their clock' },

  // The coordinator's own.
  mikro_orm_migrations: local('the migrator\'s bookkeeping, run on the coordinator (Citus propagates the DDL)'),
  audit_log: local('one hash chain per audit stream, appended in order under one lock: a single sequence, not per member'),
  catalog_draft: local('product managers\' drafts, published into the reference tables by the coordinator'),
  partner_subgraph: local('the registered partner subgraphs the gateway composes; read at start-up and on registration only'),
  inbound_partner_event: local('webhook ids kept once per partner (dedupe by the partner\'s event id, which names no member)'),
  status_list: local('each partner\'s open status list, allocated in order under a lock: one sequence per partner'),
  outbox_event: local('the provisioning queue: claimed across members in due order with SKIP LOCKED by the delivery workers, per-entitlement order kept by one index walk; written by the statements that change rights, as the audit log is'),
  voucher_code: local('a partner\'s pool of codes, claimed across members with SKIP LOCKED; a claimed code names its member and entitlement, but the pool is not per member'),
  activity_import: local('an uploaded file\'s job row (status, counters) for the workers\' lanes'),
  activity_import_lane: local('job leases: which worker applies which lane of an import'),
  activity_import_line: local('the upload\'s lines as received, before they become members\' activities (a line may name an unknown member)'),
  campaign_announcement: local('one row per campaign occurrence and clock: the member-day job\'s dedupe, not per member'),
  segment_run: local('one row per segment computation (a job\'s record)'),
  segment_schedule: local('one schedule row per clock, claimed FOR UPDATE SKIP LOCKED by the segment job'),
  figures_run: local('the program figures\' rebuild record'),
  figures_day: local('program figures: aggregates over all members, rebuilt whole by one job'),
  figures_cohort: local('program figures: aggregates over all members, rebuilt whole by one job'),
  figures_period_value: local('program figures: aggregates over all members, rebuilt whole by one job'),
  figures_benefit: local('program figures: aggregates over all members, rebuilt whole by one job'),
  figures_points_month: local('program figures: aggregates over all members, rebuilt whole by one job'),
  figures_tier_move: local('program figures: aggregates over all members, rebuilt whole by one job'),
};

/**
 * Violations the schema still has, each exactly as the check prints it, with what fixing it
 * takes. The check fails when one of these no longer occurs: remove it then.
 */
export const knownCitusViolations: KnownViolation[] = [
  {
    violation:
      'activity: foreign key activity_refund_of_id_foreign (refund_of_id) → activity (id): does not pair activity.member_id with activity.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'a refund names its purchase by id alone: becomes (member_id, refund_of_id) → activity (member_id, id) once activity_pkey is (id, member_id) (a refund is always the same member\'s)',
  },
  {
    violation:
      'activity: primary key activity_pkey (id): does not include member_id [unique-includes-distribution-column]',
    why: 'activity ids are what points_journal.activity_id, campaign_grant.activity_id, tier_change.activity_id and refunds (refund_of_id) name; (id, member_id) means composite keys in the Activity entity and every query by activity id',
  },
  {
    violation:
      'activity: unique constraint activity_channel_external_id_unique (channel, external_id): does not include member_id [unique-includes-distribution-column]',
    why: 'a channel\'s receipt counts once whoever claims it: with member_id in the key the same receipt could be recorded for two members. Needs a coordinator-side (local) claim table keyed by (channel, external_id) naming the member, written first, or the decision that a receipt is unique per member',
  },
  {
    violation:
      'campaign_benefit_grant: foreign key campaign_benefit_grant_entitlement_id_foreign (entitlement_id) → entitlement (id): does not pair campaign_benefit_grant.member_id with entitlement.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'waits for entitlement: (member_id, entitlement_id) → entitlement (member_id, id) once entitlement_pkey includes member_id',
  },
  {
    violation:
      'entitlement: foreign key entitlement_membership_id_foreign (membership_id) → membership (id): does not pair entitlement.member_id with membership.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'becomes (member_id, membership_id) → membership (member_id, id) once membership_pkey includes member_id',
  },
  {
    violation:
      'entitlement: primary key entitlement_pkey (id): does not include member_id [unique-includes-distribution-column]',
    why: 'entitlement ids are named by issued_token, redemption (both carry member_id now), outbox_event, campaign_benefit_grant, voucher_code and in every token (ent claim); (id, member_id) means composite keys in the Entitlement entity and every ManyToOne to it (IssuedToken, Redemption, CampaignBenefitGrant), whose member_id columns are also part of their own keys: the next step, with membership_pkey',
  },
  {
    violation:
      'issued_token: foreign key issued_token_entitlement_id_foreign (entitlement_id) → entitlement (id): does not pair issued_token.member_id with entitlement.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'issued_token carries member_id (Migration20261207160205); the key becomes (entitlement_id, member_id) → entitlement (id, member_id) once entitlement_pkey includes member_id (its own entry)',
  },
  {
    violation:
      'issued_token: unique constraint issued_token_status_entry_unique (partner_id, status_list_ordinal, status_idx): does not include member_id [unique-includes-distribution-column]',
    why: 'a status-list entry is one token\'s across the partner\'s list: issuing signs a token for a random free entry and records it only if no token holds it (ON CONFLICT DO NOTHING on this key). With member_id in the key two members\' tokens could share an entry, and revoking one would revoke the other. Needs the entry allocated without conflicts (the partner\'s list, a local table, handing out entries from a counter or a free list) before the key can name the member',
  },
  {
    violation:
      'member: unique constraint member_issuer_subject_unique (issuer, subject): does not include id [unique-includes-distribution-column]',
    why: 'sign-in finds the member by (issuer, subject), not by id: needs a lookup table member_identity (issuer, subject → member_id), reference or local, written once at first sign-in, and the member row then reached by id',
  },
  {
    violation:
      'membership: primary key membership_pkey (id): does not include member_id [unique-includes-distribution-column]',
    why: 'membership ids are named by entitlement, payment, membership_event (all carry member_id now) and the payment provider\'s orders; (id, member_id) means composite keys in the Membership entity, every ManyToOne to it (Entitlement, Payment, MembershipEvent) and the lifecycle\'s queries and locks by membership id: the next step, with entitlement_pkey',
  },
  {
    violation:
      'membership_event: foreign key membership_event_membership_id_foreign (membership_id) → membership (id): does not pair membership_event.member_id with membership.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'membership_event carries member_id (Migration20261207160205, its key is (id, member_id)); the foreign key becomes (membership_id, member_id) → membership (id, member_id) once membership_pkey includes member_id',
  },
  {
    violation:
      'payment: foreign key payment_membership_id_foreign (membership_id) → membership (id): does not pair payment.member_id with membership.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'payment carries member_id (Migration20261207160205); the foreign key becomes (membership_id, member_id) → membership (id, member_id) once membership_pkey includes member_id',
  },
  {
    violation:
      'payment: primary key payment_pkey (id): does not include member_id [unique-includes-distribution-column]',
    why: 'payment_refund points at a payment by (payment_id) and payment_notification names it by payment_id: (id, member_id) means a composite ManyToOne from PaymentRefund whose member_id column is also part of its own key (a column shared by a key and a relation in MikroORM), and the provider\'s notifications finding their payment by its id alone (a read of every shard on Citus: the provider knows no member)',
  },
  {
    violation:
      'payment_refund: foreign key payment_refund_payment_id_foreign (payment_id) → payment (id): does not pair payment_refund.member_id with payment.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'payment_refund carries member_id (its key is (id, member_id)); the foreign key becomes (payment_id, member_id) → payment (id, member_id) with payment_pkey',
  },
  {
    violation:
      'points_account: foreign key points_account_member_id_foreign (member_id) → member (id): ON DELETE SET NULL would change member_id (name only the other columns, or use NO ACTION or CASCADE) [foreign-key-action]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_account: member_id: member_id is nullable (the distribution column is NOT NULL) [distribution-column]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_account: primary key points_account_pkey (id): does not include member_id [unique-includes-distribution-column]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_journal: primary key points_journal_pkey (id): does not include member_id [unique-includes-distribution-column]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_journal: unique constraint points_journal_idempotency_key_unique (idempotency_key): does not include member_id [unique-includes-distribution-column]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_lot: foreign key points_lot_journal_id_foreign (journal_id) → points_journal (id): does not pair points_lot.member_id with points_journal.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_lot: primary key points_lot_pkey (id): does not include member_id [unique-includes-distribution-column]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_transfer: foreign key points_transfer_credit_account_id_foreign (credit_account_id) → points_account (id): does not pair points_transfer.member_id with points_account.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_transfer: foreign key points_transfer_debit_account_id_foreign (debit_account_id) → points_account (id): does not pair points_transfer.member_id with points_account.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_transfer: foreign key points_transfer_journal_id_foreign (journal_id) → points_journal (id): does not pair points_transfer.member_id with points_journal.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_transfer: foreign key points_transfer_lot_id_foreign (lot_id) → points_lot (id): does not pair points_transfer.member_id with points_lot.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_transfer: member_id: has no member_id column (every distributed table carries the distribution column) [distribution-column]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'points_transfer: primary key points_transfer_pkey (id): does not include member_id [unique-includes-distribution-column]',
    why: 'the ledger posts between a member\'s accounts and shared ones (a partner\'s points, the program\'s liability), in one journal: points_account holds both (member_id null for shared ones), so transfers cross shards. Needs member accounts keyed (member_id, id) and shared accounts moved to a local table whose balances are figures (not updated per posting), with transfers carrying member_id: a ledger redesign of its own',
  },
  {
    violation:
      'redemption: foreign key redemption_entitlement_id_foreign (entitlement_id) → entitlement (id): does not pair redemption.member_id with entitlement.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'redemption carries member_id (Migration20261207160205, filled by the redemption service); the foreign key becomes (entitlement_id, member_id) → entitlement (id, member_id) once entitlement_pkey includes member_id',
  },
  {
    violation:
      'redemption: primary key redemption_pkey (id): does not include member_id [unique-includes-distribution-column]',
    why: 'redemption_void points at a redemption by (redemption_id): (id, member_id) means a composite ManyToOne from RedemptionVoid sharing its member_id column with RedemptionVoid\'s own key, and the partner\'s voidRedemption(redemptionId) finding it by id alone (a read of every shard, as the token\'s lookup by jti)',
  },
  {
    violation:
      'redemption: unique constraint redemption_partner_idempotency_key (partner_id, idempotency_key): does not include member_id [unique-includes-distribution-column]',
    why: 'a partner\'s idempotency key is unique per partner: a retry after the token was refused (expired, used) is answered from the key alone, before any member is known. With member_id in the key a partner reusing a key for another member\'s token would get a second redemption instead of IDEMPOTENCY_CONFLICT, and the replay lookup would need the member (from the token\'s row, read first). Left until the token carries a routing claim (docs/citus.md)',
  },
  {
    violation:
      'redemption_void: foreign key redemption_void_redemption_id_foreign (redemption_id) → redemption (id): does not pair redemption_void.member_id with redemption.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    why: 'redemption_void carries member_id (its key is (id, member_id)); the foreign key becomes (redemption_id, member_id) → redemption (id, member_id) with redemption_pkey',
  },
];
