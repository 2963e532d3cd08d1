import Addressing
public import Foundation
import Synchronization

/// The socketmap's two maps as Postfix lookup-table sources (`postmap` input: one `key value`
/// line each), for a Postfix that must not depend on Mamori being up: unlike `socketmap:`, a
/// local `hash:` table answers while Mamori is down (see docs/mail-guard.md).
///
/// - `sasl_access` (for `check_sasl_access`): each suspended login → the configured action.
/// - `sasl_exceptions` (for `smtpd_sasl_exceptions_networks`): each blocked address → `blocked`.
///
/// A login that a table line cannot hold (whitespace or a control character in it, or a leading
/// `#`, which `postmap` reads as a comment) is left out and counted in ``unrepresentable``: the
/// policy server and the socketmap still refuse it.
public struct PostfixTables: Sendable, Hashable {
    /// The `sasl_access` source.
    public var saslAccess: String
    /// The `sasl_exceptions` source.
    public var saslExceptions: String
    /// Suspended logins left out of `sasl_access`.
    public var unrepresentable: Int

    public init(saslAccess: String, saslExceptions: String, unrepresentable: Int) {
        self.saslAccess = saslAccess
        self.saslExceptions = saslExceptions
        self.unrepresentable = unrepresentable
    }

    /// The two tables by their map names (the socketmap's: `sasl_access`, `sasl_exceptions`).
    public var byName: [(name: String, source: String)] { [("sasl_access", saslAccess), ("sasl_exceptions", saslExceptions)] }

    /// Whether `key` can be a table line's key as it is.
    static func representable(_ key: String) -> Bool {
        !key.isEmpty && !key.hasPrefix("#") && !key.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
    }

    /// `text` on one line: control characters (newlines among them) become spaces.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }
}

extension MailGuard {
    /// The suspensions and blocks in force at `now` as Postfix table sources, sorted (the same
    /// state gives the same text, so an unchanged state rebuilds nothing).
    public func postfixTables(at now: Date = Date()) -> PostfixTables {
        let action = PostfixTables.oneLine(configuration.suspendedReply.action(text: configuration.suspendedText).description)
        let (logins, addresses) = state.withLock { state in
            (
                state.suspensions.values.filter { $0.until > now }.map(\.authID).sorted(),
                state.blocks.keys.sorted().map(\.description)
            )
        }
        var access = ""
        var unrepresentable = 0
        for login in logins {
            guard PostfixTables.representable(login) else {
                unrepresentable += 1
                continue
            }
            access += "\(login) \(action)\n"
        }
        let exceptions = addresses.map { "\($0) blocked\n" }.joined()
        return PostfixTables(saslAccess: access, saslExceptions: exceptions, unrepresentable: unrepresentable)
    }
}
