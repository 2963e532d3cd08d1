import GRDB

/// The SQLite schema, as append-only migrations written in SQL terms.
///
/// Never edit a registered migration: add a new one. Tables:
/// - `secret`: key material generated at first use (the pseudonymisation key).
/// - `aaa_file`: one row per ingested AAA file (content hash, format, counts).
/// - `aaa_event`: normalised address-assignment events (`stable_key` unique: ingest is idempotent).
/// - `audit`: the hash-chained audit log (append-only; triggers refuse UPDATE and DELETE).
/// - `audit_checkpoint`: Merkle checkpoints over the audit log.
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
        return migrator
    }()
}
