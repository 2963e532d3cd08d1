public import Attribution
public import Remediation
public import Secrecy
public import Storage

extension SQLiteAuditLog: CheckpointedAuditLog {}

extension MamoriStore: Storage {
    public var location: String { path }
    public var assignments: any AssignmentRecordStore { self }
    public var audit: any CheckpointedAuditLog { SQLiteAuditLog(store: self) }
    public var remediation: any RemediationStore { SQLiteRemediationStore(store: self) }
    public var page: any RemediationPageStore { SQLiteRemediationStore(store: self) }
    public var storedDataClasses: [DataClass] { Self.dataClasses }
    public func close() async {}
}
