public import Attribution
public import MailGuard
public import Remediation
public import Secrecy
public import SiteWarning
public import Storage

extension SQLiteAuditLog: CheckpointedAuditLog {}

extension MamoriStore: Storage {
    public var location: String { path }
    public var assignments: any AssignmentRecordStore { self }
    public var audit: any CheckpointedAuditLog { SQLiteAuditLog(store: self) }
    public var remediation: any RemediationStore { SQLiteRemediationStore(store: self) }
    public var page: any RemediationPageStore { SQLiteRemediationStore(store: self) }
    public var storedDataClasses: [DataClass] { Self.dataClasses }
    public var consent: any ConsentRegistry { siteWarning }
    public var blocklists: any BlocklistStore { siteWarning }
    public var siteReports: any SiteReportStore { siteReportStore }
    public var mailGuardStore: any MailGuardStore { mailGuard }
    public var mailNotices: any MailNoticeStore { mailNoticeStore }

    /// Calls `onChange` every `poll` (SQLite has no change notifications; a poll reads two
    /// indexed maxima) until cancelled.
    public func followChanges(poll: Duration, _ onChange: @escaping @Sendable () async throws -> Void) async throws {
        while !Task.isCancelled {
            try await onChange()
            try await Task.sleep(for: poll)
        }
    }
    public func close() async {}
}
