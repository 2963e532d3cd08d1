import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema, as append-only migrations written in SQL terms (one statement each:
/// the extended query protocol runs one at a time).
///
/// Never edit a registered migration: add a new one. The tables and constraints are SQLite's
/// (`StoreSQLite`'s `Schema`, v1…v5 folded into two):
/// - `pg1 foundation` (SQLite v1 and v4: no key table, keys live in the key file): `aaa_file`,
///   `aaa_event` (`stable_key` unique: ingest is idempotent), `audit` (hash-chained; triggers
///   refuse UPDATE, DELETE and TRUNCATE), `audit_checkpoint`, `mamori_counter` (`aaa-purges`:
///   the assignment stamp changes when events are purged).
/// - `pg5 mail guard` (SQLite v8 and v9): `mail_alert`, `mail_suspension`, `mail_block` (rows only
///   while in force), `mail_notice` (the owners' notices: one per login and suspension start).
/// - `pg2 remediation` (SQLite v2, v3 and v5): `subscriber_contact`, `sighting_file` (the ledger),
///   `feed_counter`, `infection_case` (one not-expired case per countermeasure, subscriber and
///   family), `notice` (one per case and round; the outbox lease), `access_token`.
///
/// Times are `double precision` seconds since 1970 (what the records carry, exactly as SQLite
/// keeps them), the audit time whole milliseconds (`bigint`), hashes and bodies `bytea`.
enum PostgresSchema {
    /// One named migration.
    struct Migration: Sendable {
        var id: String
        var statements: [String]
    }

    /// The advisory lock (session) held while migrating: several processes opening a new
    /// database at once migrate one after the other.
    static let migrationLock: Int64 = 0x6D61_6D6F_7269_0001
    /// The advisory lock (transaction) every transaction that appends audit records takes first:
    /// the head is read, sealed after and inserted by one writer at a time, in every process.
    static let auditLock: Int64 = 0x6D61_6D6F_7269_0002

    static let migrations: [Migration] = [
        Migration(
            id: "pg1 foundation",
            statements: [
                """
                CREATE TABLE aaa_file (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    sha256 text NOT NULL UNIQUE,
                    name text NOT NULL,
                    format text NOT NULL,
                    records bigint NOT NULL,
                    events bigint NOT NULL,
                    rejected bigint NOT NULL,
                    ingested_at double precision NOT NULL
                )
                """,
                """
                CREATE TABLE aaa_event (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    stable_key text NOT NULL UNIQUE,
                    format text NOT NULL,
                    event_time double precision NOT NULL,
                    held_until double precision,
                    body bytea NOT NULL,
                    ingested_at double precision NOT NULL
                )
                """,
                "CREATE INDEX aaa_event_held_until ON aaa_event(held_until, event_time)",
                """
                CREATE TABLE audit (
                    seq bigint PRIMARY KEY,
                    time bigint NOT NULL,
                    countermeasure text,
                    action text NOT NULL,
                    actor text NOT NULL,
                    subject text NOT NULL,
                    detail text NOT NULL,
                    prev_hash bytea NOT NULL,
                    hash bytea NOT NULL
                )
                """,
                """
                CREATE FUNCTION mamori_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the audit log is append-only';
                END
                $$
                """,
                "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION mamori_audit_append_only()",
                "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION mamori_audit_append_only()",
                "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION mamori_audit_append_only()",
                // A detail field of an audit record, '' when the detail is not a JSON object (a
                // tampered row must not make the metrics query fail).
                """
                CREATE FUNCTION mamori_detail_field(detail text, field text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
                BEGIN
                    RETURN COALESCE(detail::jsonb ->> field, '');
                EXCEPTION WHEN others THEN
                    RETURN '';
                END
                $$
                """,
                """
                CREATE TABLE audit_checkpoint (
                    size bigint PRIMARY KEY,
                    root bytea NOT NULL,
                    time double precision NOT NULL
                )
                """,
                "CREATE TABLE mamori_counter (name text PRIMARY KEY, value bigint NOT NULL)",
            ]),
        Migration(
            id: "pg2 remediation",
            statements: [
                """
                CREATE TABLE subscriber_contact (
                    subscriber text PRIMARY KEY,
                    email text NOT NULL,
                    language text NOT NULL,
                    updated_at double precision NOT NULL
                )
                """,
                """
                CREATE TABLE sighting_file (
                    sha256 text PRIMARY KEY,
                    name text NOT NULL,
                    feed text NOT NULL,
                    ingested_at double precision NOT NULL,
                    committed bigint NOT NULL DEFAULT 0,
                    complete boolean NOT NULL DEFAULT true
                )
                """,
                """
                CREATE TABLE feed_counter (
                    feed text PRIMARY KEY,
                    parsed bigint NOT NULL DEFAULT 0,
                    rejected bigint NOT NULL DEFAULT 0,
                    not_infected bigint NOT NULL DEFAULT 0,
                    attributed bigint NOT NULL DEFAULT 0,
                    not_found bigint NOT NULL DEFAULT 0,
                    ambiguous bigint NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE TABLE infection_case (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    countermeasure text NOT NULL,
                    kind text NOT NULL,
                    subscriber text NOT NULL,
                    family text NOT NULL,
                    first_seen double precision NOT NULL,
                    last_seen double precision NOT NULL,
                    sightings bigint NOT NULL,
                    status text NOT NULL,
                    last_notice_at double precision,
                    notices bigint NOT NULL DEFAULT 0,
                    remediated_at double precision,
                    reopen_count bigint NOT NULL DEFAULT 0,
                    evidence text NOT NULL,
                    updated_at double precision NOT NULL
                )
                """,
                "CREATE INDEX infection_case_status ON infection_case(status)",
                "CREATE INDEX infection_case_last_seen ON infection_case(last_seen)",
                """
                CREATE UNIQUE INDEX infection_case_one_active ON infection_case(countermeasure, subscriber, family)
                    WHERE status <> 'expired'
                """,
                "CREATE INDEX infection_case_subscriber ON infection_case(subscriber)",
                """
                CREATE TABLE notice (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    case_id bigint NOT NULL REFERENCES infection_case(id) ON DELETE CASCADE,
                    subscriber text NOT NULL,
                    recipient text NOT NULL,
                    language text NOT NULL,
                    type text NOT NULL,
                    kind text NOT NULL,
                    round bigint NOT NULL,
                    message_id text NOT NULL UNIQUE,
                    subject text NOT NULL,
                    body text NOT NULL,
                    status text NOT NULL,
                    attempts bigint NOT NULL DEFAULT 0,
                    next_attempt_at double precision NOT NULL,
                    last_error text,
                    reply text,
                    created_at double precision NOT NULL,
                    sent_at double precision,
                    lease_owner text,
                    lease_until double precision
                )
                """,
                "CREATE INDEX notice_due ON notice(status, next_attempt_at)",
                "CREATE UNIQUE INDEX notice_case_round ON notice(case_id, round)",
                "CREATE INDEX notice_subscriber ON notice(subscriber, created_at)",
                "CREATE INDEX notice_created ON notice(created_at)",
                """
                CREATE TABLE access_token (
                    hash text PRIMARY KEY,
                    case_id bigint NOT NULL REFERENCES infection_case(id) ON DELETE CASCADE,
                    language text NOT NULL,
                    created_at double precision NOT NULL,
                    expires_at double precision NOT NULL
                )
                """,
                "CREATE INDEX access_token_case ON access_token(case_id)",
            ]),
        Migration(
            id: "pg3 site warning",
            statements: [
                """
                CREATE TABLE consent_change (
                    id bigserial PRIMARY KEY,
                    line text NOT NULL,
                    measure text NOT NULL,
                    choice text NOT NULL,
                    time double precision NOT NULL,
                    channel text NOT NULL,
                    terms_version text NOT NULL
                )
                """,
                "CREATE INDEX consent_change_line ON consent_change(line, measure, id)",
                """
                CREATE TABLE site_list_revision (
                    id bigserial PRIMARY KEY,
                    name text NOT NULL,
                    kind text NOT NULL,
                    format text NOT NULL,
                    file text NOT NULL,
                    sha256 text NOT NULL,
                    bytes bytea,
                    imported_at double precision NOT NULL,
                    actor text NOT NULL
                )
                """,
                "CREATE INDEX site_list_revision_name ON site_list_revision(name, id)",
            ]),
        Migration(
            id: "pg4 site reports",
            statements: [
                """
                CREATE TABLE site_report (
                    id bigserial PRIMARY KEY,
                    list text NOT NULL,
                    domain text NOT NULL,
                    kind text NOT NULL,
                    recipient text NOT NULL,
                    format text NOT NULL,
                    message_id text NOT NULL UNIQUE,
                    subject text NOT NULL,
                    body text NOT NULL,
                    parts text NOT NULL,
                    status text NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at double precision NOT NULL,
                    last_error text,
                    reply text,
                    lease_owner text,
                    lease_until double precision,
                    created_at double precision NOT NULL,
                    sent_at double precision,
                    UNIQUE (domain, recipient)
                )
                """,
                "CREATE INDEX site_report_due ON site_report(status, next_attempt_at)",
            ]),
        Migration(
            id: "pg5 mail guard",
            statements: [
                "CREATE TABLE mail_alert (alert text PRIMARY KEY, since double precision NOT NULL, source text NOT NULL)",
                """
                CREATE TABLE mail_suspension (
                    auth_id text PRIMARY KEY, since double precision NOT NULL, until double precision NOT NULL, reason text NOT NULL
                )
                """,
                """
                CREATE TABLE mail_block (
                    address text PRIMARY KEY, since double precision NOT NULL, last_failure double precision NOT NULL, attempts integer NOT NULL
                )
                """,
                """
                CREATE TABLE mail_notice (
                    id bigserial PRIMARY KEY,
                    auth_id text NOT NULL,
                    suspended_at double precision NOT NULL,
                    recipient text NOT NULL,
                    message_id text NOT NULL UNIQUE,
                    subject text NOT NULL,
                    body text NOT NULL,
                    status text NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at double precision NOT NULL,
                    last_error text,
                    reply text,
                    lease_owner text,
                    lease_until double precision,
                    created_at double precision NOT NULL,
                    sent_at double precision,
                    UNIQUE (auth_id, suspended_at)
                )
                """,
                "CREATE INDEX mail_notice_due ON mail_notice(status, next_attempt_at)",
            ]),
    ]

    /// The ids of this build's migrations.
    static var ids: [String] { migrations.map(\.id) }

    /// Applies the migrations the database lacks, each in its own transaction, under the
    /// migration advisory lock (held by this connection's session until the end).
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
        do {
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS mamori_migration (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger)
            let applied = try await appliedIDs(connection, logger: logger)
            for migration in migrations where !applied.contains(migration.id) {
                try await connection.query("BEGIN", logger: logger)
                do {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO mamori_migration(id) VALUES (\(migration.id))", logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                logger.info("store migrated", metadata: ["migration": "\(migration.id)"])
            }
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
            throw error
        }
        try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
    }

    /// The ids recorded in `mamori_migration`.
    static func appliedIDs(_ connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        var out: Set<String> = []
        for try await id in try await connection.query("SELECT id FROM mamori_migration", logger: logger).decode(String.self) {
            out.insert(id)
        }
        return out
    }
}
