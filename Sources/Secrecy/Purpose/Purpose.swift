/// A purpose under which secret data is obtained: one declared countermeasure, and the
/// capability that lets its own code create and open values bound to it.
///
/// Declare a purpose in the module that does that countermeasure's work, and keep the
/// capability's initialiser **internal** (or `fileprivate`): that is what makes misuse a
/// compile error in every other module.
///
/// ```swift
/// // Module Remediation
/// public enum InfectedHostNotice: Purpose {
///     public static let countermeasure = CountermeasureID.infectedHostNotification
///     public struct Capability: Sendable { init() {} }   // internal: only Remediation holds one
/// }
/// let subscriber = PurposeBound(id, for: InfectedHostNotice.self, capability: .init())
/// ```
///
/// A purpose whose capability can be constructed from outside its module (a public
/// initialiser, `Void`, a literal-expressible type) gives no protection; don't write one.
public protocol Purpose: Sendable {
    /// The declared countermeasure this purpose serves (the audit log records it).
    static var countermeasure: CountermeasureID { get }
    /// A token only the purpose's own module can construct.
    associatedtype Capability: Sendable
}
