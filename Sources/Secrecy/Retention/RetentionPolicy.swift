public import Foundation

/// How long stored data of each class may be kept, derived from the declarations.
///
/// ## The rule
///
/// A data class's lifetime is the **longest** retention among the declarations that keep
/// items in it. Storage shared by several countermeasures (one `sightings` table) is purged
/// by class, and a record may not be removed while any purpose that declared it still needs
/// it. Where a store tags rows with their countermeasure, it should purge with the stricter
/// ``cutoff(for:countermeasure:now:)`` instead.
///
/// A day is 86 400 seconds; cutoffs are `now - days × 86 400 s`. Data older than the cutoff
/// (its relevant time strictly before it) goes.
///
/// A class no declaration uses has no lifetime (`nil`): Mamori has no declared purpose to keep
/// any of it, so a purge should remove all of it. `transient` is 0 days: never stored.
///
/// ```swift
/// let policy = RetentionPolicy(declarations: try .bundled())
/// if let cutoff = policy.cutoff(for: .sightings, now: Date()) { try store.purgeSightings(before: cutoff) }
/// ```
///
/// Not covered here: legal holds (CCP art. 197(3)), which pause the purge of named records.
public struct RetentionPolicy: Sendable, Hashable {
    /// A class's lifetime and the declarations that set it.
    public struct Lifetime: Sendable, Hashable {
        /// The lifetime in days.
        public let days: Int
        /// The declarations whose retention for the class equals `days` (the longest).
        public let setBy: [CountermeasureID]

        /// A lifetime of `days` set by `setBy`.
        public init(days: Int, setBy: [CountermeasureID]) {
            self.days = days
            self.setBy = setBy
        }
    }

    private let perDeclaration: [CountermeasureID: [DataClass: Int]]
    private let lifetimes: [DataClass: Lifetime]

    /// The policy of `declarations`.
    public init(declarations: Declarations) {
        var perDeclaration: [CountermeasureID: [DataClass: Int]] = [:]
        var lifetimes: [DataClass: Lifetime] = [:]
        for declaration in declarations.all {
            perDeclaration[declaration.id] = declaration.retention
            for (dataClass, days) in declaration.retention {
                switch lifetimes[dataClass] {
                case let current? where current.days > days: break
                case let current? where current.days == days:
                    lifetimes[dataClass] = Lifetime(days: days, setBy: current.setBy + [declaration.id])
                default:
                    lifetimes[dataClass] = Lifetime(days: days, setBy: [declaration.id])
                }
            }
        }
        self.perDeclaration = perDeclaration
        self.lifetimes = lifetimes
    }

    /// The lifetime of `dataClass`, or `nil` when no declaration keeps it.
    public func lifetime(for dataClass: DataClass) -> Lifetime? { lifetimes[dataClass] }

    /// The classes some declaration keeps, in the vocabulary's order.
    public var dataClasses: [DataClass] { DataClass.allCases.filter { lifetimes[$0] != nil } }

    /// The oldest time data of `dataClass` may have at `now`; older data goes. `nil` when no
    /// declaration keeps the class (then nothing of it may be kept).
    public func cutoff(for dataClass: DataClass, now: Date) -> Date? {
        lifetimes[dataClass].map { Self.cutoff(days: $0.days, now: now) }
    }

    /// The cutoff for data of `dataClass` kept for one countermeasure only; `nil` when that
    /// declaration keeps nothing of the class (or is not declared).
    public func cutoff(for dataClass: DataClass, countermeasure: CountermeasureID, now: Date) -> Date? {
        perDeclaration[countermeasure]?[dataClass].map { Self.cutoff(days: $0, now: now) }
    }

    private static func cutoff(days: Int, now: Date) -> Date {
        now.addingTimeInterval(-Double(days) * 86_400)
    }
}
