/// A value obtained under purpose `P` that only code holding `P.Capability` can read.
///
/// This is how purpose limitation (misuse, 窃用, `SECRECY.md`) becomes a type rule: the
/// subscriber identified for an infected-host notice is a
/// `PurposeBound<InfectedHostNotice, SubscriberID>`, and no module but the one declaring
/// `InfectedHostNotice` can turn it back into a `SubscriberID`.
///
/// ## Why misuse does not compile
///
/// - **Opening needs the capability.** ``open(_:)`` takes a `P.Capability`. The purpose's module
///   keeps the capability's initialiser internal, so another module cannot write
///   `P.Capability()`: the compiler reports that the initialiser "is inaccessible due to
///   'internal' protection level". The stored value itself is `private`.
/// - **Creating needs the capability too.** ``init(_:for:capability:)`` takes the same token, so
///   another module cannot forge a value "obtained" under `P`, nor re-label data it holds for
///   its own purpose `A` as `P`: it would have to open it with `A`'s capability (fine) and bind
///   it with `P`'s (which it cannot construct).
/// - **Purposes do not convert.** Generic types are invariant: a `PurposeBound<A, V>` is not a
///   `PurposeBound<B, V>`, so passing one where the other is expected is "cannot convert value
///   of type 'PurposeBound<A, V>' to expected argument type 'PurposeBound<B, V>'".
/// - **Nothing leaks by printing.** The type is not `Codable`, and its `description`,
///   `debugDescription` and mirror (used by `print`, string interpolation and `dump`) show
///   the purpose, never the value.
///
/// `Tests/SecrecyTests/CompileFail/` holds code that tries each misuse from another module,
/// and `PurposeBindingTests` type-checks it with `swiftc` to prove it fails, and that the same
/// file without the misuse lines compiles.
///
/// What the type system cannot stop: the purpose's own module opening a value and handing the
/// raw value out. Keep `open` calls few and close to the act the purpose declares.
public struct PurposeBound<P: Purpose, Value: Sendable>: Sendable {
    private let value: Value

    /// Binds `value` to purpose `P`; only a holder of `P.Capability` can do it.
    public init(_ value: Value, for purpose: P.Type, capability: P.Capability) {
        self.value = value
    }

    /// The value; only a holder of `P.Capability` can read it.
    public func open(_ capability: P.Capability) -> Value { value }

    /// A new value under the same purpose, computed from this one.
    ///
    /// The transform sees the raw value, so it too needs the capability: a `map` without one
    /// would let any module read the value through the closure.
    public func map<T: Sendable, E: Error>(
        _ capability: P.Capability, _ transform: (Value) throws(E) -> T
    ) throws(E) -> PurposeBound<P, T> {
        PurposeBound<P, T>(try transform(value), for: P.self, capability: capability)
    }

    /// The declared countermeasure the value is bound to.
    public var countermeasure: CountermeasureID { P.countermeasure }
}

extension PurposeBound: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `PurposeBound(<countermeasure>, redacted)`: never the value.
    public var description: String { "PurposeBound(\(P.countermeasure), redacted)" }
    /// Same as ``description``.
    public var debugDescription: String { description }
    /// A mirror without children, so `dump` shows no value.
    public var customMirror: Mirror { Mirror(self, children: [:], displayStyle: .struct) }
}
