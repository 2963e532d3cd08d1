public import Addressing

/// What changes in the blocked address space between two pools files: the prefixes that start
/// and stop being blocked (minimal, in address order).
public struct PoolsDiff: Sendable, Hashable {
    /// Newly blocked.
    public let added: [IPPrefix]
    /// No longer blocked.
    public let removed: [IPPrefix]

    /// The change from `old` to `new`.
    public init(from old: Pools, to new: Pools) {
        added = AddressRange.subtract(new.ranges, old.ranges).flatMap(\.prefixes)
        removed = AddressRange.subtract(old.ranges, new.ranges).flatMap(\.prefixes)
    }

    /// Whether nothing changes.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty }

    /// `+ PREFIX` and `- PREFIX` lines, removals first, each group in address order.
    public var lines: [String] {
        removed.map { "- \($0)" } + added.map { "+ \($0)" }
    }
}
