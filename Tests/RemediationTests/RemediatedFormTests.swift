import Remediation
import Testing

/// The urlencoded body of the portal's "I have cleaned" form (also fuzzed: `FuzzPortalForm`).
@Suite struct RemediatedFormTests {
    @Test func decodesPlusPercentAndRepeatedNames() {
        let form = RemediatedForm.fields("lang=ja&check=0f%203a+x&lang=en&empty=&bare")
        #expect(form == ["lang": "en", "check": "0f 3a x", "empty": "", "bare": ""])
    }

    @Test func badPercentEncodingIsSkippedOrEmpty() {
        #expect(RemediatedForm.fields("%zz=1&check=%E3%81") == ["check": ""])
        #expect(RemediatedForm.fields("&&=&") == ["": ""])
        #expect(RemediatedForm.fields("").isEmpty)
    }
}
