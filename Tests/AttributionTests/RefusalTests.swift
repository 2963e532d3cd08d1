import Attribution
import Foundation
import Secrecy
import Testing

@Suite struct RefusalTests {
    /// A refused identification leaves one `purpose-refused` record naming the countermeasure and
    /// the reason, and nothing about the address asked about.
    @Test func refusalIsAuditedWithoutTheSubject() async throws {
        let log = InMemoryAuditLog()
        let attributor = Attributor(
            index: AttributionIndex(), declarations: try Declarations.bundled(), audit: log,
            pseudonymizer: try Pseudonymizer(key: [UInt8](repeating: 7, count: 32)), actor: "test")
        let notAllowed = try await attributor.refusal(.dnsAmplificationPrevention)
        #expect("\(notAllowed)".contains("does not declare attribution"))
        let undeclared = try await attributor.refusal(CountermeasureID("marketing"))
        #expect("\(undeclared)".contains("is not declared"))
        let records = log.records(from: 1)
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.entry.action == "purpose-refused" && $0.entry.subject == "-" })
        #expect(records.map(\.entry.countermeasure) == [.dnsAmplificationPrevention, CountermeasureID("marketing")])
        #expect(records.map { $0.entry.detail } == [["reason": "attribution-not-allowed"], ["reason": "undeclared"]])
        #expect(AuditChain.verify(records).isIntact)
    }
}
