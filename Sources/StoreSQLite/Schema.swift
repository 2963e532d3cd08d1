import GRDB

/// The SQLite schema, as append-only migrations written in SQL terms.
///
/// Never edit a registered migration: add a new one. Tables:
/// - `secret`: key material, until "v4 keys out of store" (keys live in the key file now).
/// - `aaa_file`: one row per ingested AAA file (content hash, format, counts).
/// - `aaa_event`: normalised address-assignment events (`stable_key` unique: ingest is idempotent).
/// - `audit`: the hash-chained audit log (append-only; triggers refuse UPDATE and DELETE).
/// - `audit_checkpoint`: Merkle checkpoints over the audit log.
/// - v2: the remediation flow (`subscriber_contact`, `sighting_file`, `feed_counter`,
///   `infection_case`, `notice`, `access_token`); v3: the constraints that keep it exact when
///   runs overlap (see `RemediationStore`); v5: an index on notice creation for outbox planning.
enum Schema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 foundation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE secret (
                        name TEXT PRIMARY KEY NOT NULL,
                        value BLOB NOT NULL
                    );
                    CREATE TABLE aaa_file (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        sha256 TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        format TEXT NOT NULL,
                        records INTEGER NOT NULL,
                        events INTEGER NOT NULL,
                        rejected INTEGER NOT NULL,
                        ingested_at REAL NOT NULL
                    );
                    CREATE TABLE aaa_event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        stable_key TEXT NOT NULL UNIQUE,
                        format TEXT NOT NULL,
                        event_time REAL NOT NULL,
                        held_until REAL,
                        body BLOB NOT NULL,
                        ingested_at REAL NOT NULL
                    );
                    CREATE INDEX aaa_event_held_until ON aaa_event(held_until, event_time);
                    CREATE TABLE audit (
                        seq INTEGER PRIMARY KEY,
                        time INTEGER NOT NULL, -- milliseconds since 1970, as hashed
                        countermeasure TEXT,
                        action TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        prev_hash BLOB NOT NULL,
                        hash BLOB NOT NULL
                    );
                    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TABLE audit_checkpoint (
                        size INTEGER PRIMARY KEY NOT NULL,
                        root BLOB NOT NULL,
                        time REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2 remediation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE subscriber_contact (
                        subscriber TEXT PRIMARY KEY NOT NULL,
                        email TEXT NOT NULL,
                        language TEXT NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE TABLE sighting_file (
                        sha256 TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        feed TEXT NOT NULL,
                        ingested_at REAL NOT NULL
                    );
                    CREATE TABLE feed_counter (
                        feed TEXT PRIMARY KEY NOT NULL,
                        parsed INTEGER NOT NULL DEFAULT 0,
                        rejected INTEGER NOT NULL DEFAULT 0,
                        not_infected INTEGER NOT NULL DEFAULT 0,
                        attributed INTEGER NOT NULL DEFAULT 0,
                        not_found INTEGER NOT NULL DEFAULT 0,
                        ambiguous INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE infection_case (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        countermeasure TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        subscriber TEXT NOT NULL,
                        family TEXT NOT NULL,
                        first_seen REAL NOT NULL,
                        last_seen REAL NOT NULL,
                        sightings INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        last_notice_at REAL,
                        notices INTEGER NOT NULL DEFAULT 0,
                        remediated_at REAL,
                        reopen_count INTEGER NOT NULL DEFAULT 0,
                        evidence TEXT NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE INDEX infection_case_status ON infection_case(status);
                    CREATE INDEX infection_case_last_seen ON infection_case(last_seen);
                    CREATE TABLE notice (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        case_id INTEGER NOT NULL REFERENCES infection_case(id) ON DELETE CASCADE,
                        subscriber TEXT NOT NULL,
                        recipient TEXT NOT NULL,
                        language TEXT NOT NULL,
                        type TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        message_id TEXT NOT NULL UNIQUE,
                        subject TEXT NOT NULL,
                        body TEXT NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        last_error TEXT,
                        reply TEXT,
                        created_at REAL NOT NULL,
                        sent_at REAL
                    );
                    CREATE INDEX notice_due ON notice(status, next_attempt_at);
                    CREATE TABLE access_token (
                        hash TEXT PRIMARY KEY NOT NULL,
                        case_id INTEGER NOT NULL REFERENCES infection_case(id) ON DELETE CASCADE,
                        language TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        expires_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v3 exactly once") { db in
            // Cases: one not-expired case per countermeasure, subscriber and family. Stores written
            // before this rule may hold duplicates from two ingests run at once: the older ones expire.
            // Notices: one per case and round; the outbox lease. Sighting files: how far each got.
            try db.execute(
                sql: """
                    UPDATE infection_case SET status = 'expired'
                        WHERE status != 'expired' AND id NOT IN (
                            SELECT MAX(id) FROM infection_case WHERE status != 'expired' GROUP BY countermeasure, subscriber, family);
                    CREATE UNIQUE INDEX infection_case_one_active ON infection_case(countermeasure, subscriber, family)
                        WHERE status != 'expired';
                    CREATE INDEX infection_case_subscriber ON infection_case(subscriber);
                    ALTER TABLE notice ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
                    UPDATE notice SET round = (SELECT COUNT(*) FROM notice AS earlier
                        WHERE earlier.case_id = notice.case_id AND earlier.id <= notice.id);
                    CREATE UNIQUE INDEX notice_case_round ON notice(case_id, round);
                    CREATE INDEX notice_subscriber ON notice(subscriber, created_at);
                    ALTER TABLE notice ADD COLUMN lease_owner TEXT;
                    ALTER TABLE notice ADD COLUMN lease_until REAL;
                    ALTER TABLE sighting_file ADD COLUMN committed INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE sighting_file ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;
                    """)
        }
        migrator.registerMigration("v4 keys out of store") { db in
            // MamoriStore moves any rows to the key file before migrating; what is left goes.
            try db.execute(sql: "DROP TABLE IF EXISTS secret")
        }
        migrator.registerMigration("v5 outbox planning") { db in
            // The outbox reads only the notices inside the per-subscriber gap.
            try db.execute(sql: "CREATE INDEX notice_created ON notice(created_at)")
        }
        migrator.registerMigration("v6 site warning") { db in
            // Every choice change (the consent history; the newest per line and measure is the
            // choice) and every list import or removal (the newest revision per name is current).
            try db.execute(
                sql: """
                    CREATE TABLE consent_change (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        line TEXT NOT NULL,
                        measure TEXT NOT NULL,
                        choice TEXT NOT NULL,
                        time REAL NOT NULL,
                        channel TEXT NOT NULL,
                        terms_version TEXT NOT NULL
                    );
                    CREATE INDEX consent_change_line ON consent_change(line, measure, id);
                    CREATE TABLE site_list_revision (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        format TEXT NOT NULL,
                        file TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        bytes BLOB,
                        imported_at REAL NOT NULL,
                        actor TEXT NOT NULL
                    );
                    CREATE INDEX site_list_revision_name ON site_list_revision(name, id);
                    """)
        }
        migrator.registerMigration("v7 site reports") { db in
            // Site-owner notices (ARF, X-ARF): one per listed name and recipient, leased as notices are.
            try db.execute(
                sql: """
                    CREATE TABLE site_report (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        list TEXT NOT NULL,
                        domain TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        recipient TEXT NOT NULL,
                        format TEXT NOT NULL,
                        message_id TEXT NOT NULL UNIQUE,
                        subject TEXT NOT NULL,
                        body TEXT NOT NULL,
                        parts TEXT NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        last_error TEXT,
                        reply TEXT,
                        lease_owner TEXT,
                        lease_until REAL,
                        created_at REAL NOT NULL,
                        sent_at REAL,
                        UNIQUE (domain, recipient)
                    );
                    CREATE INDEX site_report_due ON site_report(status, next_attempt_at);
                    """)
        }
        migrator.registerMigration("v8 mail guard") { db in
            // The mail guard (SMTP measures 1 and 2): raised alerts, suspended AUTH ids, addresses
            // not offered AUTH. Rows only while they are in force.
            try db.execute(
                sql: """
                    CREATE TABLE mail_alert (alert TEXT PRIMARY KEY, since REAL NOT NULL, source TEXT NOT NULL);
                    CREATE TABLE mail_suspension (auth_id TEXT PRIMARY KEY, since REAL NOT NULL, until REAL NOT NULL, reason TEXT NOT NULL);
                    CREATE TABLE mail_block (
                        address TEXT PRIMARY KEY, since REAL NOT NULL, last_failure REAL NOT NULL, attempts INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v9 mail notices") { db in
            // The owner's notice of a suspension (smtp-credential-abuse): one per login and
            // suspension start, leased as the other outboxes are.
            try db.execute(
                sql: """
                    CREATE TABLE mail_notice (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        auth_id TEXT NOT NULL,
                        suspended_at REAL NOT NULL,
                        recipient TEXT NOT NULL,
                        message_id TEXT NOT NULL UNIQUE,
                        subject TEXT NOT NULL,
                        body TEXT NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        last_error TEXT,
                        reply TEXT,
                        lease_owner TEXT,
                        lease_until REAL,
                        created_at REAL NOT NULL,
                        sent_at REAL,
                        UNIQUE (auth_id, suspended_at)
                    );
                    CREATE INDEX mail_notice_due ON mail_notice(status, next_attempt_at);
                    """)
        }
        return migrator
    }()
}
