public import Attribution
public import MailGuard
public import Remediation
public import Secrecy
public import SiteWarning
public import Storage

extension PostgresStore: Storage, CheckpointedAuditLog {
    public var location: String { "postgres://\(url.user)@\(url.place)" }
    public var assignments: any AssignmentRecordStore { self }
    public var audit: any CheckpointedAuditLog { self }
    public var remediation: any RemediationStore { self }
    public var page: any RemediationPageStore { self }
    /// Beside the key file: every process keeps its own snapshot of the shared records.
    public var indexSnapshotPath: String { keys.path + ".index" }
    public var storedDataClasses: [DataClass] { Self.dataClasses }
    public var consent: any ConsentRegistry { siteWarning }
    public var blocklists: any BlocklistStore { siteWarning }
    public var siteReports: any SiteReportStore { siteReportStore }
    public var mailGuardStore: any MailGuardStore { PostgresMailGuardStore(store: self) }
    public var mailNotices: any MailNoticeStore { PostgresMailNoticeStore(store: self) }
}
