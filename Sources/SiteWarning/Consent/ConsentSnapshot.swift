/// Every line's current choices, immutable, with each measure's default for lines that never chose.
///
/// The decision reads one per query; a follower of the ``ConsentRegistry`` builds the next one
/// with ``applying(_:cursor:)`` and swaps it in. Recent changes go into a small overlay on top
/// of the shared base table, merged into a new base once the overlay passes
/// ``overlayLimit`` lines, so applying a change costs the overlay's size, not the number of
/// lines (a million lines are not copied for every change).
public struct ConsentSnapshot: Sendable {
    /// The choice of a line that never chose, per measure.
    public struct Defaults: Sendable, Hashable {
        public var malwareSiteWarning: ConsentChoice
        public var cncDNSBlock: ConsentChoice

        /// `cnc-dns-block` on (consent by the terms); `malware-site-warning` as configured:
        /// on under the terms' (ア)(イ)(ウ), off under opt-in.
        public init(malwareSiteWarning: ConsentChoice, cncDNSBlock: ConsentChoice = .on) {
            self.malwareSiteWarning = malwareSiteWarning
            self.cncDNSBlock = cncDNSBlock
        }

        public subscript(measure: ConsentMeasure) -> ConsentChoice {
            switch measure {
            case .malwareSiteWarning: malwareSiteWarning
            case .cncDNSBlock: cncDNSBlock
            }
        }
    }

    /// One line's explicit choices (nil: the default).
    struct Choices: Sendable, Hashable {
        var malwareSiteWarning: ConsentChoice?
        var cncDNSBlock: ConsentChoice?

        subscript(measure: ConsentMeasure) -> ConsentChoice? {
            get {
                switch measure {
                case .malwareSiteWarning: malwareSiteWarning
                case .cncDNSBlock: cncDNSBlock
                }
            }
            set {
                switch measure {
                case .malwareSiteWarning: malwareSiteWarning = newValue
                case .cncDNSBlock: cncDNSBlock = newValue
                }
            }
        }
    }

    public let defaults: Defaults
    private var lines: [LineID: Choices]
    private var overlay: [LineID: Choices] = [:]
    /// The overlay size at which it is merged into the base table.
    public static let overlayLimit = 4096
    /// The registry cursor this snapshot includes changes up to.
    public private(set) var cursor: ConsentCursor

    /// A snapshot where every line has the defaults.
    public init(defaults: Defaults, cursor: ConsentCursor = .start) {
        self.defaults = defaults
        self.lines = [:]
        self.cursor = cursor
    }

    /// The line's choice for `measure`: its own, else the measure's default.
    public func choice(line: LineID, measure: ConsentMeasure) -> ConsentChoice {
        explicitChoice(line: line, measure: measure) ?? defaults[measure]
    }

    /// The line's own choice, nil when it never chose.
    public func explicitChoice(line: LineID, measure: ConsentMeasure) -> ConsentChoice? {
        if let choices = overlay[line] { return choices[measure] }
        return lines[line]?[measure]
    }

    /// The number of lines with a choice of their own.
    public var lineCount: Int { lines.count + overlay.keys.count { lines[$0] == nil } }

    /// This snapshot with `changes` applied in order.
    public func applying(_ changes: some Sequence<ConsentChange>, cursor: ConsentCursor? = nil) -> ConsentSnapshot {
        var next = self
        next.apply(changes, cursor: cursor)
        return next
    }

    /// Applies `changes` in order.
    public mutating func apply(_ changes: some Sequence<ConsentChange>, cursor: ConsentCursor? = nil) {
        for change in changes {
            var choices = overlay[change.line] ?? lines[change.line] ?? Choices()
            choices[change.measure] = change.choice
            overlay[change.line] = choices
        }
        if overlay.count > Self.overlayLimit {
            lines.merge(overlay) { _, new in new }
            overlay = [:]
        }
        if let cursor { self.cursor = cursor }
    }
}
