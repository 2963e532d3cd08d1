/// Why a declarations file was refused: every problem found, each naming the file, the line, the
/// declaration and the field path.
///
/// ```text
/// declarations.json:88: declaration "smtp-brute-force", field justifications.necessity: the legitimate-business-act basis requires a justification, none given
/// ```
///
/// Loading collects all problems rather than stopping at the first, so that the legal team can
/// fix a file in one pass; ``problems`` is never empty.
public struct DeclarationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of a problem, for code that reacts to it (tests, the CLI's exit status).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The file could not be read.
        case unreadable
        /// The file is not valid JSON (the problem carries the line and column).
        case malformedJSON
        /// The `version` is not one this code reads.
        case unsupportedVersion
        /// A required field is absent.
        case missingField
        /// A field has the wrong JSON type.
        case wrongType
        /// A field that the format does not have (often a misspelling).
        case unknownField
        /// An id that is not lowercase words joined by `-`.
        case invalidID
        /// Two declarations with the same id.
        case duplicateID
        /// A basis outside the closed list.
        case unknownBasis
        /// The same basis, data item, or class named twice.
        case duplicateEntry
        /// A requirement of a declared basis has no justification.
        case missingJustification
        /// A text is missing one of its two languages (or is empty in it).
        case missingLanguage
        /// A justification key that is not a requirement of any basis.
        case unknownRequirement
        /// A justification for a requirement of a basis the declaration does not name.
        case unexpectedJustification
        /// A data item outside the closed vocabulary.
        case unknownDataItem
        /// A data class outside the closed vocabulary.
        case unknownDataClass
        /// A data class used by the data items has no retention.
        case missingRetention
        /// A retention is given for a data class that no data item uses.
        case unusedRetention
        /// A retention that is not a whole number of days ≥ 0 (or not 0 for `transient`).
        case invalidRetention
        /// A trigger outside `always`, `per-consent`, `{"while-alert": name}`.
        case unknownTrigger
        /// A trigger that does not fit the basis (`per-consent` exactly when the basis includes consent).
        case inconsistentTrigger
    }

    /// One problem and its place.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The file's name, e.g. `declarations.json`.
        public let source: String
        /// The 1-based line, when known.
        public let line: Int?
        /// The 1-based column, for JSON syntax errors.
        public let column: Int?
        /// The declaration's position in `countermeasures` (1-based), when the problem is inside one.
        public let declarationIndex: Int?
        /// The declaration's id as written, when it has one.
        public let declarationID: String?
        /// The field path inside the declaration (or the file), e.g. `justifications.necessity`.
        public let field: String?
        /// What is wrong.
        public let kind: Kind
        /// The explanation, a sentence fragment without the place.
        public let reason: String

        public var description: String {
            var place = source
            if let line {
                place += ":\(line)"
                if let column { place += ":\(column)" }
            }
            var parts: [String] = []
            if let declarationID {
                parts.append("declaration \"\(declarationID)\"")
            } else if let declarationIndex {
                parts.append("declaration #\(declarationIndex)")
            }
            if let field { parts.append("field \(field)") }
            return parts.isEmpty ? "\(place): \(reason)" : "\(place): \(parts.joined(separator: ", ")): \(reason)"
        }
    }

    /// The problems, in file order; never empty.
    public let problems: [Problem]

    /// The first problem.
    public var first: Problem { problems[0] }

    init(problems: [Problem]) {
        precondition(!problems.isEmpty, "a DeclarationError needs at least one problem")
        self.problems = problems
    }

    /// One line per problem.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
