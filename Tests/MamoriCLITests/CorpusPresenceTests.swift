import MamoriTesting
import Testing

/// The one test that fails when the shared corpus is missing; every suite that reads it is
/// skipped then (`Corpus.isPresent`), so the run says it once, with the path and the way out.
@Suite struct CorpusPresenceTests {
    @Test func theSharedCorpusIsThere() {
        #expect(Corpus.isPresent, Comment(rawValue: Corpus.missingMessage))
    }
}
